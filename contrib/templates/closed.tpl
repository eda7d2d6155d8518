# To the host's administrator: an operator closed the incident.
Subject: [incident {{incident.id}}] Incident closed for {{host.addr}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: closed

Incident {{incident.id}} about {{host.addr}}:{{host.port}} was closed by the desk.

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}
