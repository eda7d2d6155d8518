# To the customer: an open relay, escalation step warning (the first rung may be the first incident).
Subject: [incident {{incident.id}}] {{#if escalation.repeat}}Repeated open relay{{else}}Open relay{{/if}} at {{host.addr}}: warning
Auto-Submitted: auto-generated
X-Relaywatch-Step: escalation-warning

Dear {{#if contact.name}}{{contact.name}}{{else}}customer{{/if}},

the mail server at {{host.addr}} was found to be an open relay{{#if escalation.repeat}} again{{/if}}{{#if escalation.count}}: this is
incident {{escalation.count}}{{#if escalation.window}} within {{escalation.window}}{{/if}}{{/if}} (incident {{incident.id}}).
This is a formal warning. Further incidents may lead to suspension of
service and then to its termination.

What we found
-------------
Verdict: {{verdict}} ({{reason}})
Tested: {{host.addr}} port {{host.port}}{{#if tested_at}} at {{tested_at}}{{/if}}
Mail server: {{mta.product}}

{{#if tests_worked}}Relay tests that worked:
  {{tests_worked}}

{{/if}}{{#if arrival}}Our test message arrived at our canary from {{arrival.peer}} at {{arrival.time}},
with this Received chain (newest first):
  {{arrival.received}}

{{/if}}{{#if transcript_excerpt}}Excerpt of the SMTP session (C: us, S: your server):
  {{transcript_excerpt}}

{{/if}}
How to repair it ({{mta.product}})
--------------------------------
{{advice}}

How to check the repair
-----------------------
{{verify}}

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}

