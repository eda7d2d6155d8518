# To the host's administrator: the block is in place.
Subject: [incident {{incident.id}}] SMTP blocked for {{host.addr}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: blocked

Dear {{#if contact.name}}{{contact.name}}{{else}}administrator{{/if}},

the mail server at {{host.addr}} was still an open relay{{#if grace}} after the {{grace}}
grace period{{/if}}, so {{#if block.scope}}{{block.scope}}{{else}}SMTP to and from it{{/if}} is now blocked
(incident {{incident.id}}). The block stays until a retest shows the repair.

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

