# To the NOC: suspend the customer's service (ISP ladder).
Subject: [incident {{incident.id}}] Suspend service for {{host.addr}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: isp-suspend-order

Incident {{incident.id}} is incident {{escalation.count}} of {{host.addr}} within {{escalation.window}}:
the ladder reached {{escalation.level}}. Suspend the service of {{#if contact.name}}{{contact.name}}{{else}}the customer{{/if}}.

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}
