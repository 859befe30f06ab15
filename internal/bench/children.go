package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a process the bench started: the gateway or the receiver.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once it exited
	err  error         // its exit status, set before done closes

	mu         sync.Mutex
	tail       []string // its last output lines, to explain a failure
	errorLines int      // lines it logged at level ERROR
}

const (
	tailLines    = 20
	readyTimeout = 30 * time.Second
	stopTimeout  = 15 * time.Second // the gateway promises to stop within 10 s
)

// startChild runs exe and waits until ready recognises a line of its
// output, returning what ready extracted from it (an address).
func startChild(name, exe string, args, env []string, ready func(line string) (string, bool)) (*child, string, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), env...)
	// A bench killed midway must not leave a gateway running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	readyCh := make(chan string, 1)
	var readers sync.WaitGroup
	scan := func(r io.Reader) {
		defer readers.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			c.note(sc.Text())
			if v, ok := ready(sc.Text()); ok {
				select {
				case readyCh <- v:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, r) // a line too long for the scanner must not block the child
	}
	readers.Add(2)
	go scan(stdout)
	go scan(stderr)
	go func() {
		readers.Wait() // Wait closes the pipes: read them to the end first
		c.err = cmd.Wait()
		close(c.done)
	}()
	select {
	case v := <-readyCh:
		return c, v, nil
	case <-c.done:
		return nil, "", fmt.Errorf("%s exited before it was ready (%v):\n%s", name, c.err, c.output())
	case <-time.After(readyTimeout):
		c.stop()
		return nil, "", fmt.Errorf("%s was not ready within %s:\n%s", name, readyTimeout, c.output())
	}
}

func (c *child) note(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.Contains(line, "level=ERROR") {
		c.errorLines++
	}
	c.tail = append(c.tail, line)
	if len(c.tail) > tailLines {
		c.tail = c.tail[len(c.tail)-tailLines:]
	}
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return "  " + strings.Join(c.tail, "\n  ")
}

func (c *child) loggedErrors() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.errorLines
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the child to stop (SIGTERM) and kills it if it does not.
func (c *child) stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(stopTimeout):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s did not stop within %s of SIGTERM; killed it", c.name, stopTimeout)
	}
	var exit *exec.ExitError
	if errors.As(c.err, &exit) && !exit.Exited() {
		return nil // ended by the signal: the receiver does not trap it
	}
	return c.err
}

var gatewayListening = regexp.MustCompile(`msg="eventgate listening" addr=(\S+)`)

// startGateway runs `eventgate serve` on a fresh data directory.
func startGateway(exe, dataDir, adminKey string, extraArgs []string) (*child, string, error) {
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--allow-private-targets"}, extraArgs...)
	c, addr, err := startChild("gateway", exe, args, []string{"EVENTGATE_ADMIN_KEY=" + adminKey}, func(line string) (string, bool) {
		if m := gatewayListening.FindStringSubmatch(line); m != nil {
			return m[1], true
		}
		return "", false
	})
	if err != nil {
		return nil, "", err
	}
	return c, "http://" + addr, nil
}

// startReceiver runs `eventgate bench-receiver`.
func startReceiver(exe, addr string) (*child, string, error) {
	c, got, err := startChild("receiver", exe, []string{"bench-receiver", "--addr", addr}, nil, func(line string) (string, bool) {
		var hello struct{ Addr string }
		if json.Unmarshal([]byte(line), &hello) == nil && hello.Addr != "" {
			return hello.Addr, true
		}
		return "", false
	})
	if err != nil {
		return nil, "", err
	}
	return c, "http://" + got, nil
}
