# To the complainant: what our test found (no repair advice).
Subject: [incident {{incident.id}}] Your report about {{host.addr}}: {{verdict}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: results-complainant

Hello,

thank you for your report{{#if complaint.received}} of {{complaint.received}}{{/if}}. We tested {{#if proxy}}{{host.addr}}
port {{host.port}} for an open proxy{{else}}the mail
server at {{host.addr}}{{/if}} (incident {{incident.id}}).

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
{{/if}}{{#if proxy}}{{#if proxy.protocols}}The administrator has been told how to repair it.{{else}}We could not reproduce the problem.{{/if}}{{else}}{{#if tests_worked}}The administrator has been told how to repair it.{{else}}We could not reproduce the problem.{{/if}}{{/if}}

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}

