# To the NOC: an operator closed the incident.
Subject: [incident {{incident.id}}] Incident closed for {{host.addr}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: isp-closed

Incident {{incident.id}} about {{host.addr}}:{{host.port}} was closed.

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}
