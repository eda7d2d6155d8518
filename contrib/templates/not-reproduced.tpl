# To the admin and the complainant: our tests did not show relaying (or an open proxy).
Subject: [incident {{incident.id}}] No open {{#if proxy}}proxy{{else}}relay{{/if}} found at {{host.addr}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: not-reproduced

Our tests of {{host.addr}}:{{host.port}} did not show {{#if proxy}}an open proxy{{else}}relaying{{/if}}
(last result: {{verdict}}{{#if reason}}, {{reason}}{{/if}}), so incident {{incident.id}} is closed
as not reproduced.

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}
