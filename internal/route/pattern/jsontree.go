package pattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
)

// jsonValue is a parsed pattern document. Unlike map[string]any it keeps
// member order (so errors are reported in source order) and lets us reject
// duplicate keys, which encoding/json silently collapses.
type jsonValue struct {
	kind    jsonKind
	text    string       // string contents, or a number's literal text
	boolean bool         // jsonBool only
	keys    []string     // jsonObject member names, in source order
	values  []*jsonValue // jsonObject member values, or jsonArray elements
}

type jsonKind uint8

const (
	jsonObject jsonKind = iota
	jsonArray
	jsonString
	jsonNumber
	jsonBool
	jsonNull
)

func parseJSON(raw []byte) (*jsonValue, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := readJSON(dec, "$")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, newError("$", "unexpected content after the pattern object")
	}
	return v, nil
}

func readJSON(dec *json.Decoder, path string) (*jsonValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return readObject(dec, path)
		}
		return readArray(dec, path) // Token only returns an opening '{' or '[' here
	case string:
		return &jsonValue{kind: jsonString, text: t}, nil
	case json.Number:
		return &jsonValue{kind: jsonNumber, text: t.String()}, nil
	case bool:
		return &jsonValue{kind: jsonBool, boolean: t}, nil
	default:
		return &jsonValue{kind: jsonNull}, nil
	}
}

func readObject(dec *json.Decoder, path string) (*jsonValue, error) {
	obj := &jsonValue{kind: jsonObject}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		key, _ := tok.(string) // the decoder guarantees a string key here
		p := childPath(path, key)
		if slices.Contains(obj.keys, key) {
			return nil, newError(p, "field %q appears twice in the same object", key)
		}
		v, err := readJSON(dec, p)
		if err != nil {
			return nil, err
		}
		obj.keys = append(obj.keys, key)
		obj.values = append(obj.values, v)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, syntaxError(err)
	}
	return obj, nil
}

func readArray(dec *json.Decoder, path string) (*jsonValue, error) {
	arr := &jsonValue{kind: jsonArray}
	for dec.More() {
		v, err := readJSON(dec, elemPath(path, len(arr.values)))
		if err != nil {
			return nil, err
		}
		arr.values = append(arr.values, v)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, syntaxError(err)
	}
	return arr, nil
}

func syntaxError(err error) *Error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return newError("$", "invalid JSON at byte %d: %s", se.Offset, se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return newError("$", "invalid JSON: unexpected end of input")
	default:
		return newError("$", "invalid JSON: %s", err.Error())
	}
}
