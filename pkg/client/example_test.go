package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"github.com/eventgate/eventgate/pkg/client"
)

// The README shows this example; it compiles with the package.
func Example() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080", "eg_adm_change-me-0123456789")

	ev, err := c.Publish(ctx, client.EventInput{Type: "order.created", Subject: "order/1001",
		Data: json.RawMessage(`{"order_id": 1001, "total": 49.90}`)}, "order-1001")
	var problem *client.Error
	if errors.As(err, &problem) {
		log.Fatalf("refused: %s %v", problem.Detail, problem.Errors) // status, type, title, detail, errors
	} else if err != nil {
		log.Fatal(err)
	}

	for d, err := range c.AllDeliveries(ctx, client.DeliveryQuery{EventID: ev.ID}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(d.ID, d.SubscriptionID, d.Status, d.AttemptCount)
	}
}
