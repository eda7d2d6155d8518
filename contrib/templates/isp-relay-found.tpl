# To the customer: our sweep found an open relay (ISP policy).
Subject: [incident {{incident.id}}] Open relay found at {{host.addr}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: isp-relay-found

Our sweep found an open mail relay at {{host.addr}}:{{host.port}}
(verdict {{verdict}}{{#if reason}}: {{reason}}{{/if}}). Incoming SMTP to this address is blocked
({{block.scope}}) until a retest shows the repair.
{{#if tests_worked}}
The tests that worked:
  {{tests_worked}}
{{/if}}{{#if advice}}
How to fix it:
{{advice}}
{{/if}}
To check it: {{retest_command}}

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}
