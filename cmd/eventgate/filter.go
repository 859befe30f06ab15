package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/eventgate/eventgate/internal/api"
)

// errNoMatch makes `filter test` exit 1 when the pattern does not match,
// like grep, so scripts can branch on it.
var errNoMatch = errors.New("no match")

// filterCmd runs `eventgate filter test`: the same check as POST
// /v1/filters/test, offline.
func filterCmd(args []string) error {
	if len(args) == 0 || args[0] != "test" {
		return errors.New("usage: eventgate filter test --pattern JSON|@file --event JSON|@file")
	}
	fs := flag.NewFlagSet("filter test", flag.ContinueOnError)
	patternArg := fs.String("pattern", "", "the EventBridge event pattern, as JSON or @file")
	eventArg := fs.String("event", "", "the event envelope, as JSON or @file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	pattern, err := jsonArg("--pattern", *patternArg)
	if err != nil {
		return err
	}
	ev, err := jsonArg("--event", *eventArg)
	if err != nil {
		return err
	}
	match, err := api.TestPattern(pattern, ev)
	if err != nil {
		return err
	}
	if !match {
		fmt.Println("no match")
		return errNoMatch
	}
	fmt.Println("match")
	return nil
}

// jsonArg reads a flag given as inline JSON or as @path.
func jsonArg(name, v string) ([]byte, error) {
	if v == "" {
		return nil, fmt.Errorf("%s is required", name)
	}
	if path, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return b, nil
	}
	return []byte(v), nil
}
