package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/eventgate/eventgate/internal/sign"
)

// listen runs a local webhook receiver that verifies and prints what it
// gets: for trying eventgate out and for debugging a subscription.
func listen(args []string) error {
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9000", "address to receive webhooks on")
	secret := fs.String("secret", "", "the subscription's whsec_ secret, to verify signatures")
	status := fs.Int("status", http.StatusNoContent, "HTTP status to answer a delivery with (try 500 to see retries); one whose signature does not verify gets 401")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var key sign.Key
	if *secret != "" {
		var err error
		if key, err = sign.ParseSecret(*secret); err != nil {
			return fmt.Errorf("--secret: %v", err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "listening for webhooks on http://%s/ (answering %d)\n", ln.Addr(), *status)
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		verdict, answer := "not checked (pass --secret)", *status
		if key != nil {
			verdict = "valid"
			if err := key.Verify(r.Header.Get("Webhook-Id"), r.Header.Get("Webhook-Timestamp"), r.Header.Get("Webhook-Signature"), body, time.Now()); err != nil {
				// What a receiver should do: refuse what it cannot trust.
				verdict, answer = "INVALID: "+err.Error(), http.StatusUnauthorized
			}
		}
		// Indent keeps the body's own order and numbers: it is what was signed.
		var out bytes.Buffer
		if json.Indent(&out, body, "  ", "  ") != nil {
			out.Reset()
			out.Write(body)
		}
		fmt.Printf("%s %s webhook-id=%s signature %s\n  %s\n", time.Now().Format(time.TimeOnly), r.URL.Path, r.Header.Get("Webhook-Id"), verdict, out.Bytes())
		w.WriteHeader(answer)
	}))
}
