# To the host's administrator: the results of our test.
Subject: [incident {{incident.id}}] Test results for {{host.addr}}: {{verdict}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: results-admin

Dear {{#if contact.name}}{{contact.name}}{{else}}administrator{{/if}},

we tested the mail server at {{host.addr}} for incident {{incident.id}}.

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
{{#if tests_worked}}How to repair it ({{mta.product}})
--------------------------------
{{advice}}

How to check the repair
-----------------------
{{verify}}
{{#if deadline}}Please repair it before {{deadline}}; outgoing mail from the host may be
blocked once relaying is verified.
{{/if}}{{/if}}
-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}

