# To the NOC: a customer's address is blocked (ISP policy).
Subject: [incident {{incident.id}}] Blocked {{block.scope}} {{#if proxy}}(open proxy){{else}}SMTP{{/if}} for {{host.addr}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: isp-blocked

Incident {{incident.id}}: {{host.addr}}:{{host.port}} ({{#if contact.name}}{{contact.name}}{{else}}no contact{{/if}}) is blocked, {{block.scope}}.
Escalation: {{escalation.level}}, incident {{escalation.count}} in {{escalation.window}}.

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}
