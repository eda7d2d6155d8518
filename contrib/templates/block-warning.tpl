# To the host's administrator: relaying verified, a block may follow.
Subject: [incident {{incident.id}}] Warning: {{#if proxy}}{{host.addr}}{{else}}SMTP from {{host.addr}}{{/if}} may be blocked
Auto-Submitted: auto-generated
X-Relaywatch-Step: block-warning

Dear {{#if contact.name}}{{contact.name}}{{else}}administrator{{/if}},

{{#if proxy}}the open proxy at {{host.addr}} port {{host.port}} is verified (incident
{{incident.id}}). This host may be blocked{{else}}relaying through the mail server at {{host.addr}} is verified (incident
{{incident.id}}). Outgoing mail from this host may be blocked{{/if}} at any time{{#if deadline}},
and will be if it is not repaired by {{deadline}}{{/if}}.

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

