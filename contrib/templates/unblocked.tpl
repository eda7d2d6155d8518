# To the host's administrator: a retest passed; the block, if there was one, is lifted.
Subject: [incident {{incident.id}}] {{#if was_blocked}}Block lifted for{{else}}Repaired:{{/if}} {{host.addr}}
Auto-Submitted: auto-generated
X-Relaywatch-Step: unblocked

Dear {{#if contact.name}}{{contact.name}}{{else}}administrator{{/if}},

our retest of {{host.addr}} found it {{verdict}} ({{reason}}), so {{#if was_blocked}}the block
is lifted{{else}}no block will follow{{/if}} (incident {{incident.id}}). Thank you for the repair.

{{#if proxy}}For the record, the open proxy we found before:
{{#if proxy.protocols}}  {{proxy.protocols}}
{{/if}}{{#if proxy.excerpt}}  {{proxy.excerpt}}
{{/if}}{{else}}For the record, the relaying we found before:
{{#if tests_worked}}  {{tests_worked}}
{{/if}}{{#if arrival}}  {{arrival.received}}
{{/if}}{{#if transcript_excerpt}}  {{transcript_excerpt}}
{{/if}}{{/if}}
Keep it closed:
{{advice}}

To check it from time to time:
{{verify}}

-- 
{{operator}}{{#if abuse_contact}}
{{abuse_contact}}{{/if}}

