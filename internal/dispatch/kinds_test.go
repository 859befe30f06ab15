package dispatch_test

import (
	"testing"

	"github.com/eventgate/eventgate/internal/channel/pull"
	"github.com/eventgate/eventgate/internal/dispatch"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/route"
)

// The deliveries of a kind without a sender (pull) are never sent: the
// dispatcher gives them back to the store at once, unleased and untried,
// to wait there for whoever takes them; those of other kinds go on.
func TestDeliveriesOfAKindThatDoesNotPushAreNotSent(t *testing.T) {
	router := route.New()
	pulled := activeSubscription("sub_pull", 1)
	pulled.Channel = event.Channel{Type: pull.Kind.Name, Config: &pull.Config{}}
	router.Set(pulled)
	router.Set(activeSubscription("sub_hook", 1))
	sender := &gatedSender{release: make(chan struct{})}
	close(sender.release)
	recorded := &outcomes{}
	d := dispatch.New(dispatch.Config{Owner: "node"}, recorded, router, webhookSenders(sender))
	defer shutdown(d)

	d.Enqueue(append(jobsNamed("sub_pull", 3), jobsNamed("sub_hook", 1)...))
	dispatch.WaitFor(t, "an outcome for each delivery", func() bool { return len(recorded.list()) == 4 })
	if order, _, _ := sender.sent(); len(order) != 1 || order[0] != "sub_hook/0" {
		t.Errorf("sent %v; want only the webhook's delivery", order)
	}
	for _, o := range recorded.list() {
		if o.DeliveryID != "sub_hook/0" && (o.Attempt != nil || o.Status != "" || !o.NextAttemptAt.IsZero()) {
			t.Errorf("pull delivery %s settled as %+v; want released untried", o.DeliveryID, o)
		}
	}
}
