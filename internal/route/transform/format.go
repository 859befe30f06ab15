package transform

import (
	"fmt"
	"strconv"
)

// Format is the delivery format of a subscription.
type Format string

const (
	FormatEnvelope    Format = "envelope"    // default: the eventgate envelope as is
	FormatData        Format = "data"        // only the event's "data" value
	FormatCloudEvents Format = "cloudevents" // CloudEvents 1.0 structured JSON mode
)

// Valid reports whether f is a known format; "" counts as envelope.
func (f Format) Valid() bool {
	switch f {
	case "", FormatEnvelope, FormatData, FormatCloudEvents:
		return true
	}
	return false
}

// Render turns an envelope into the body and Content-Type for this format.
// The envelope and data formats return envelope itself or a part of it, not
// a copy.
func (f Format) Render(envelope []byte) ([]byte, string, error) {
	switch f {
	case "", FormatEnvelope:
		return envelope, contentTypeJSON, nil
	case FormatData:
		return renderData(envelope)
	case FormatCloudEvents:
		return renderCloudEvents(envelope)
	}
	return nil, "", fmt.Errorf("unknown payload format %q; use envelope, data or cloudevents", string(f))
}

// The envelope members the formats read, by slot.
const (
	fieldID = iota
	fieldSource
	fieldType
	fieldSubject
	fieldTime
	fieldSeverity
	fieldAttributes
	fieldData
	fieldCount
)

var envelopeFields = mustLookup("$.id", "$.source", "$.type", "$.subject", "$.time", "$.severity", "$.attributes", "$.data")

func readFields(envelope []byte) ([fieldCount][]byte, error) {
	var spans [fieldCount]span
	err := envelopeFields.find(envelope, spans[:])
	var f [fieldCount][]byte
	for i, s := range spans {
		f[i] = s.in(envelope)
	}
	return f, err
}

// renderData returns the raw bytes of the envelope's data, unchanged.
func renderData(envelope []byte) ([]byte, string, error) {
	f, err := readFields(envelope)
	if err != nil {
		return nil, "", err
	}
	if f[fieldData] == nil {
		return nil, "", fmt.Errorf("envelope has no data to deliver")
	}
	return f[fieldData], contentTypeJSON, nil
}

// renderCloudEvents writes a CloudEvents 1.0 JSON object from the raw
// envelope values, so strings and data keep their exact encoding.
func renderCloudEvents(envelope []byte) ([]byte, string, error) {
	f, err := readFields(envelope)
	if err != nil {
		return nil, "", err
	}
	for _, field := range [...]struct {
		slot     int
		name     string
		required bool
	}{
		{fieldID, "id", true}, {fieldType, "type", true}, {fieldSource, "source", false},
		{fieldSubject, "subject", false}, {fieldTime, "time", false}, {fieldSeverity, "severity", false},
	} {
		switch raw := f[field.slot]; {
		case field.required && isEmpty(raw):
			return nil, "", fmt.Errorf("envelope has no %s; CloudEvents requires one", field.name)
		case !isEmpty(raw) && !isString(raw):
			return nil, "", fmt.Errorf("envelope %s is not a string; CloudEvents requires one", field.name)
		}
	}

	out := make([]byte, 0, len(envelope)+128)
	out = append(out, `{"specversion":"1.0","id":`...)
	out = append(out, f[fieldID]...)
	out = append(out, `,"source":`...)
	if isEmpty(f[fieldSource]) {
		out = append(out, `"eventgate"`...) // CloudEvents requires a source
	} else {
		out = append(out, f[fieldSource]...)
	}
	out = append(out, `,"type":`...)
	out = append(out, f[fieldType]...)
	out = appendOptional(out, `,"subject":`, f[fieldSubject])
	out = appendOptional(out, `,"time":`, f[fieldTime])
	out = append(out, `,"datacontenttype":"application/json"`...)
	out = appendOptional(out, `,"severity":`, f[fieldSeverity])
	if attrs := f[fieldAttributes]; isObject(attrs) {
		if out, err = appendExtensions(out, attrs); err != nil {
			return nil, "", err
		}
	}
	if f[fieldData] != nil {
		out = append(out, `,"data":`...)
		out = append(out, f[fieldData]...)
	}
	out = append(out, '}')
	return out, contentTypeCloudEvents, nil
}

// contextAttributes are CloudEvents attribute names, and severity, which an
// event attribute must not shadow.
var contextAttributes = map[string]bool{
	"specversion": true, "id": true, "source": true, "type": true, "subject": true, "time": true,
	"datacontenttype": true, "dataschema": true, "data": true, "severity": true,
}

// appendExtensions writes each event attribute that can be a CloudEvents
// extension: see isExtensionName and appendExtensionValue.
func appendExtensions(out, attrs []byte) ([]byte, error) {
	var scratch [64]byte // for attribute names with escapes
	i, done := openContainer(attrs, 0, '}')
	for !done {
		rawName, at, err := memberName(attrs, i)
		if err != nil {
			return out, err
		}
		at = skipSpace(attrs, at)
		end, err := skipValue(attrs, at)
		if err != nil {
			return out, err
		}
		if name := unescapeName(scratch[:0], rawName); isExtensionName(name) && !contextAttributes[string(name)] {
			out = appendExtensionValue(out, name, attrs[at:end])
		}
		if i, done, err = nextItem(attrs, end, '}'); err != nil {
			return out, err
		}
	}
	return out, nil
}

// isExtensionName follows CloudEvents: lower-case ASCII letters and digits,
// at most 20 of them.
func isExtensionName(name []byte) bool {
	if len(name) == 0 || len(name) > 20 {
		return false
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || isDigit(c)) {
			return false
		}
	}
	return true
}

// appendExtensionValue maps an attribute onto the CloudEvents type system:
// strings and booleans as they are, 32-bit integers as numbers, and other
// numbers, which CloudEvents cannot type, as strings. Anything else (null,
// objects, arrays) is left out.
func appendExtensionValue(out, name, value []byte) []byte {
	quote := false
	switch {
	case isString(value), string(value) == "true", string(value) == "false":
	case len(value) > 0 && (value[0] == '-' || isDigit(value[0])):
		_, err := strconv.ParseInt(string(value), 10, 32)
		quote = err != nil // a JSON number needs no escaping inside quotes
	default:
		return out
	}
	out = append(out, ',', '"')
	out = append(out, name...)
	out = append(out, '"', ':')
	if quote {
		return append(append(append(out, '"'), value...), '"')
	}
	return append(out, value...)
}

// appendOptional writes a member only when the envelope has a non-empty value for it.
func appendOptional(out []byte, member string, raw []byte) []byte {
	if isEmpty(raw) {
		return out
	}
	return append(append(out, member...), raw...)
}

func isObject(raw []byte) bool { return len(raw) > 0 && raw[0] == '{' }

func isString(raw []byte) bool { return len(raw) >= 2 && raw[0] == '"' }

// isEmpty reports a value that is absent, null or "".
func isEmpty(raw []byte) bool {
	return len(raw) == 0 || string(raw) == "null" || string(raw) == `""`
}
