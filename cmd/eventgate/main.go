// Command eventgate is the single binary: the gateway and its tools.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

const usage = `eventgate: a self-hosted event notification gateway.

Usage:
  eventgate serve [flags]    run the gateway (eventgate serve -h lists the flags)
  eventgate listen [flags]   run a local webhook receiver that verifies and prints deliveries
  eventgate migrate [flags]  apply the store's schema migrations (serve does too) and exit
  eventgate bench [flags]    measure the gateway end to end (eventgate bench -h lists the scenarios)
  eventgate filter test      try a content filter pattern on an event (exit 0: match, 1: no match)
  eventgate publish [flags]  publish one event (flags or stdin) or a JSONL file of them to a running gateway
  eventgate subscriptions list, eventgate deliveries list [flags]
                             list a running gateway's subscriptions or deliveries, as a table or --json
  eventgate apply -f FILE [--dry-run] [--prune]
                             create or update partners, event types and subscriptions as a YAML or JSON file says, after printing the plan
  eventgate export [--json]  write a running gateway's partners, event types and subscriptions in apply's format (no secrets)
  eventgate replay [flags]   re-deliver archived events of a window to a subscription, with progress
  eventgate backup --to FILE [--data DIR]     copy the embedded store, also while it serves
  eventgate restore --from FILE [--data DIR]  put a backup in place (--force replaces a database)
  eventgate version          print the version

Every flag of serve and migrate can also be set in the environment as
EVENTGATE_<FLAG>, e.g. --allow-private-targets as
EVENTGATE_ALLOW_PRIVATE_TARGETS=true; those of the other commands as
EVENTGATE_<COMMAND>_<FLAG>, e.g. --addr of listen as EVENTGATE_LISTEN_ADDR;
the commands that talk to a running gateway read --url and --key from
EVENTGATE_URL and EVENTGATE_KEY.
`

var version = "dev"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serve(args)
	case "listen":
		err = listen(args)
	case "migrate":
		err = migrate(args)
	case "bench", "bench-receiver":
		err = benchCommand(cmd, args)
	case "filter":
		err = filterCmd(args)
	case "publish":
		err = publishCmd(args)
	case "subscriptions":
		err = subscriptionsCmd(args)
	case "deliveries":
		err = deliveriesCmd(args)
	case "apply":
		err = applyCmd(args)
	case "export":
		err = exportCmd(args)
	case "replay":
		err = replayCmd(args)
	case "backup":
		err = backupCmd(args)
	case "restore":
		err = restoreCmd(args)
	case "version":
		fmt.Println("eventgate", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "eventgate: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, errNoMatch) {
		os.Exit(1)
	}
	if errors.Is(err, flag.ErrHelp) {
		return // the flags were listed, as asked
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "eventgate:", err)
		os.Exit(2)
	}
}

// parseFlags parses args, then fills every flag not given on the command
// line from its environment variable (envName).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(fs.Name(), f.Name)
		if v, ok := os.LookupEnv(name); ok && !set[f.Name] && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
			}
		}
	})
	return err
}

// envName is where a command's flag is read from in the environment. Each
// command has its own names, so that a variable meant for the gateway does
// not also move a tool (EVENTGATE_ADDR put `listen` on the gateway's port):
// serve has the short EVENTGATE_<FLAG>, which migrate shares because its
// flags name the same store; the others have EVENTGATE_<COMMAND>_<FLAG>.
func envName(command, flagName string) string {
	prefix := "EVENTGATE_"
	if command != "serve" && command != "migrate" {
		prefix += command + "_"
	}
	return strings.ToUpper(strings.ReplaceAll(prefix+flagName, "-", "_"))
}
