# To the host's administrator: the results of our test.
Subject: [incident {{incident.id}}] Test results for {{host.addr}}: {{verdict}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: results-admin

Dear {{#if contact.name}}{{contact.name}}{{else}}administrator{{/if}},

we tested {{#if proxy}}the proxy at {{host.addr}} port {{host.port}}{{else}}the mail server at {{host.addr}}{{/if}} for incident {{incident.id}}.

{{#if proxy}}What we found
-------------
Verdict: {{verdict}} ({{reason}})
Tested: {{host.addr}} port {{host.port}}{{#if tested_at}} at {{tested_at}}{{/if}}
Proxy software: {{#if proxy.software}}{{proxy.software}}{{else}}not named{{/if}}

{{#if proxy.protocols}}Proxy protocols that let us through to our canary:
  {{proxy.protocols}}

{{/if}}{{#if proxy.egress}}The connection reached our canary{{#if proxy.canary}} ({{proxy.canary}}){{/if}} from {{proxy.egress}}.

{{/if}}{{#if proxy.excerpt}}Excerpt of the first of them (C: us, S: your proxy):
  {{proxy.excerpt}}

{{/if}}
{{else}}What we found
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
{{/if}}{{#if proxy}}{{#if proxy.protocols}}How to repair it ({{proxy.product}})
--------------------------------
{{advice}}

How to check the repair
-----------------------
{{verify}}
{{#if deadline}}Please repair it before {{deadline}}; the host may be blocked once the
open proxy is verified.
{{/if}}{{/if}}{{else}}{{#if tests_worked}}How to repair it ({{mta.product}})
--------------------------------
{{advice}}

How to check the repair
-----------------------
{{verify}}
{{#if deadline}}Please repair it before {{deadline}}; outgoing mail from the host may be
blocked once relaying is verified.
{{/if}}{{/if}}{{/if}}
-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}

