# To the customer: our sweep found an open relay (ISP policy).
Subject: [incident {{incident.id}}] Open {{#if proxy}}proxy{{else}}relay{{/if}} found at {{host.addr}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: isp-relay-found

Our sweep found {{#if proxy}}an open proxy{{else}}an open mail relay{{/if}} at {{host.addr}}:{{host.port}}
(verdict {{verdict}}{{#if reason}}: {{reason}}{{/if}}). {{#if proxy}}The address is blocked
({{block.scope}}){{else}}Incoming SMTP to this address is blocked
({{block.scope}}){{/if}} until a retest shows the repair.
{{#if proxy}}{{#if proxy.protocols}}
The protocols that let us through{{#if proxy.egress}} (to our canary, from {{proxy.egress}}){{/if}}:
  {{proxy.protocols}}
{{/if}}{{else}}{{#if tests_worked}}
The tests that worked:
  {{tests_worked}}
{{/if}}{{/if}}{{#if advice}}
How to fix it:
{{advice}}
{{/if}}
To check it: {{retest_command}}

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}
