# To the customer: a repeated open relay, escalation step suspension.
Subject: [incident {{incident.id}}] Repeated {{#if proxy}}open proxy{{else}}open relay{{/if}} at {{host.addr}}: suspension
Auto-Submitted: auto-generated
X-Relaywatch-Step: escalation-suspension

Dear {{#if contact.name}}{{contact.name}}{{else}}customer{{/if}},

{{#if proxy}}{{host.addr}} port {{host.port}} was found to be an open proxy{{else}}the mail server at {{host.addr}} was found to be an open relay{{/if}} again{{#if escalation.count}}: this is
incident {{escalation.count}}{{#if escalation.window}} within {{escalation.window}}{{/if}}{{/if}} (incident {{incident.id}}).
Your service is suspended{{#if deadline}} until {{deadline}}{{/if}}. A further incident may lead to the
termination of service.

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

