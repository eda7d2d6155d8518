# To the host's administrator: a complaint came in; we will test.
Subject: [incident {{incident.id}}] Open {{#if proxy}}proxy{{else}}relay{{/if}} complaint about {{host.addr}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: complaint-received

Dear {{#if contact.name}}{{contact.name}}{{else}}administrator{{/if}},

we received a complaint{{#if complaint.received}} on {{complaint.received}}{{/if}} that {{#if proxy}}{{host.addr}}
port {{host.port}} is an open proxy{{else}}the mail
server at {{host.addr}} is an open relay{{/if}}. This is recorded as security incident
{{incident.id}}. We will now test the server ourselves and send you the results.
{{#if proxy}}{{#if proxy.protocols}}
Our latest earlier test of this host already found:

What we found
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
--------------------------------
{{advice}}

How to check the repair
-----------------------
{{verify}}{{/if}}{{else}}{{#if tests_worked}}
Our latest earlier test of this server already found:

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
{{verify}}{{/if}}{{/if}}
-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}

