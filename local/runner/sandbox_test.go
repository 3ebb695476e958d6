package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
)

// instance is a handler that fails the test if two invocations ever
// overlap on it, as they never do in one Lambda execution environment.
type instance struct {
	busy    atomic.Bool
	overlap *atomic.Int32
	started chan struct{}
	release chan struct{}
}

func (i *instance) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if !i.busy.CompareAndSwap(false, true) {
		i.overlap.Add(1)
	}
	defer i.busy.Store(false)
	i.started <- struct{}{}
	<-i.release
	return payload, nil
}

func TestConcurrentInvocationsRunOnTheirOwnInstances(t *testing.T) {
	var overlap atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	mk := func() (lambda.Handler, error) {
		return &instance{overlap: &overlap, started: started, release: release}, nil
	}
	first, _ := mk()
	s := newSandboxes(first, mk)

	const concurrent = 3
	var wg sync.WaitGroup
	for range concurrent {
		wg.Go(func() {
			if _, err := s.Invoke(context.Background(), []byte(`{}`)); err != nil {
				t.Error(err)
			}
		})
	}
	// All three are inside a handler at once before any returns.
	for range concurrent {
		<-started
	}
	close(release)
	wg.Wait()
	if n := overlap.Load(); n != 0 {
		t.Fatalf("%d invocations overlapped on one instance", n)
	}
	if got := s.instances(); got != concurrent {
		t.Fatalf("built %d instances for %d concurrent invocations, want %d", got, concurrent, concurrent)
	}

	// Later invocations reuse the warm instances: no new one is built.
	for range 5 {
		go func() { <-started }()
		if _, err := s.Invoke(context.Background(), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.instances(); got != concurrent {
		t.Fatalf("sequential invocations built new instances: %d, want %d", got, concurrent)
	}
}
