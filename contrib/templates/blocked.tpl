# To the host's administrator: the block is in place.
Subject: [incident {{incident.id}}] {{#if proxy}}Blocked: open proxy at{{else}}SMTP blocked for{{/if}} {{host.addr}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: blocked

Dear {{#if contact.name}}{{contact.name}}{{else}}administrator{{/if}},

{{#if proxy}}{{host.addr}} port {{host.port}} was still an open proxy{{#if grace}} after the {{grace}}
grace period{{/if}}, so the host is now blocked{{#if block.scope}} ({{block.scope}}){{/if}}{{else}}the mail server at {{host.addr}} was still an open relay{{#if grace}} after the {{grace}}
grace period{{/if}}, so {{#if block.scope}}{{block.scope}}{{else}}SMTP to and from it{{/if}} is now blocked{{/if}}
(incident {{incident.id}}). The block stays until a retest shows the repair.

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
How to repair it ({{proxy.product}})
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
How to repair it ({{mta.product}})
{{/if}}--------------------------------
{{advice}}

How to check the repair
-----------------------
{{verify}}

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}

