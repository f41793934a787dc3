package search

// Subscription: the 6 parameters of R4 (https://hl7.org/fhir/R4/subscription.html#search).
var subscriptionRows = []paramRow{
	{typ: "Subscription", name: "contact", kind: TypeToken, expr: "Subscription.contact", def: "Subscription-contact"},
	{typ: "Subscription", name: "criteria", kind: TypeString, expr: "Subscription.criteria", def: "Subscription-criteria"},
	{typ: "Subscription", name: "payload", kind: TypeToken, expr: "Subscription.channel.payload", def: "Subscription-payload"},
	{typ: "Subscription", name: "status", kind: TypeToken, expr: "Subscription.status", def: "Subscription-status"},
	{typ: "Subscription", name: "type", kind: TypeToken, expr: "Subscription.channel.type", def: "Subscription-type"},
	{typ: "Subscription", name: "url", kind: TypeURI, expr: "Subscription.channel.endpoint", def: "Subscription-url"},
}
