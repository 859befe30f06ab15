// Package transform reshapes what a subscription receives. A Transform
// renders a template from values picked out of the event envelope, like
// Amazon EventBridge's input transformer; a Format chooses between the
// envelope, its bare data, and a CloudEvents 1.0 structured-mode body.
// Both read the envelope's JSON bytes; neither decodes it into Go values.
//
// # Templates
//
// A template is text with placeholders <name>, where name (letters, digits,
// '_', '.', '-') is a key of Spec.InputPaths or one of the predefined
// variables:
//
//	<eventgate.event>       the whole envelope, as JSON
//	<eventgate.event.data>  the event's data, as JSON
//	<eventgate.event.id>    the event id, a string
//	<eventgate.event.type>  the event type, a string
//	<eventgate.event.time>  the event time (RFC 3339), a string
//
// Names starting with "eventgate." are reserved. Every <name> in a template
// must be defined; to write a literal "<b>" inside a JSON string, escape it
// as "\u003cb>".
//
// A template is a JSON template when it is valid JSON once each placeholder
// outside a string is read as null and each placeholder inside a string as
// nothing; otherwise it is a text template. A template starting with '{' or
// '[' must be a JSON template (Compile says why it is not).
//
// In a JSON template:
//   - a placeholder outside a string becomes the JSON value found: a string
//     keeps its quotes, objects and arrays are inserted as JSON;
//   - a placeholder inside a string ("Hello <name>") becomes the text of a
//     string value without its quotes, or the JSON text of any other value,
//     JSON-escaped in both cases;
//   - a path that finds nothing, or finds null, gives null outside a string
//     and nothing inside one. (EventBridge drops such variables instead.)
//
// The result of a JSON template is valid JSON by construction when the
// envelope is; Apply checks it anyway and fails if it is not, and its
// Content-Type is application/json.
//
// In a text template, a string value is inserted as its text (unescaped),
// any other value as its JSON text, and nothing found or null as nothing.
// Its Content-Type is text/plain; charset=utf-8, unless the result happens to
// be valid JSON.
//
// # Paths
//
// InputPaths values use this subset of JSONPath:
//
//	$            the envelope
//	.name        an object member; name is ASCII letters, digits, '_', '-', '/'
//	['any key']  an object member with any name; "..." works too, and
//	             \' \" \\ escape inside the quotes
//	[2]          an array element, counted from 0
//
// For example $.data.customer.name, $.data.items[0].sku, $.attributes['x.y'].
// Note that .0 is the member named "0", not an element. Compile refuses
// wildcards (*), recursive descent (..), filters, slices, unions and negative
// indices. When an object repeats a member name, the last one wins, as with
// encoding/json.
//
// # Formats
//
// FormatEnvelope delivers the envelope unchanged, FormatData only the raw
// bytes of its "data" member, and FormatCloudEvents a CloudEvents 1.0 JSON
// object. CloudEvents extension names must be lower-case ASCII letters or
// digits, at most 20 of them, so each event attribute whose name does not
// qualify, or would shadow a context attribute (id, type, severity, ...), is
// left out. CloudEvents has no fractional numbers: an attribute number that is
// not a 32-bit integer is sent as a string.
package transform
