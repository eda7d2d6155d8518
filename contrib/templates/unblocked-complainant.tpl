# To the complainant: a retest found the host repaired (no repair advice, no
# contact details: those are for the host's administrator).
Subject: [incident {{incident.id}}] Your report about {{host.addr}}: repaired
Auto-Submitted: auto-generated
X-Relaywatch-Step: repaired-complainant

Hello,

thank you again for your report{{#if complaint.received}} of {{complaint.received}}{{/if}} about {{#if proxy}}{{host.addr}}
port {{host.port}} (incident {{incident.id}}). Our retest found it {{verdict}}
({{reason}}): it is no longer an open proxy{{else}}the mail
server at {{host.addr}} (incident {{incident.id}}). Our retest found it {{verdict}}
({{reason}}): it no longer relays{{/if}}, and the incident is closed as repaired.

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}
