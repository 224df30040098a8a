// Command pulumi-resource-fixture is a tiny Pulumi resource provider for
// stackpilot's tests. Its resources live only in the stack's state, but the
// engine treats them like cloud resources: they are created, updated in
// place, replaced and deleted, with detailed diffs, so the tests see every
// kind of preview step from the real Pulumi CLI without any cloud.
//
// fixture:index:Thing   inputs value (update), size (update), kind (forces
//                       replacement). value "fail" makes create/update fail.
// fixture:index:Slow    inputs seconds; create waits that long unless the
//                       engine cancels, so tests can interrupt an update.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const version = "1.0.0"

const schema = `{
  "name": "fixture",
  "version": "1.0.0",
  "resources": {
    "fixture:index:Thing": {
      "inputProperties": {
        "value": {"type": "string"},
        "size": {"type": "number"},
        "kind": {"type": "string"}
      },
      "properties": {
        "value": {"type": "string"},
        "size": {"type": "number"},
        "kind": {"type": "string"}
      }
    },
    "fixture:index:Slow": {
      "inputProperties": {"seconds": {"type": "number"}},
      "properties": {"seconds": {"type": "number"}}
    }
  }
}`

// replaceKeys are the inputs whose change forces a replacement.
var replaceKeys = map[string]bool{"kind": true}

type fixture struct {
	pulumirpc.UnimplementedResourceProviderServer
	cancelOnce sync.Once
	cancelled  chan struct{}
}

func main() {
	p := &fixture{cancelled: make(chan struct{})}
	if err := provider.Main("fixture", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return p, nil
	}); err != nil {
		panic(err)
	}
}

func (p *fixture) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *fixture) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: schema}, nil
}

func (p *fixture) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *fixture) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *fixture) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *fixture) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *fixture) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, news := fields(req.GetOldInputs()), fields(req.GetNews())
	keys := map[string]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var diffs, replaces []string
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for k := range keys {
		o, inOld := olds[k]
		n, inNew := news[k]
		if inOld && inNew && reflect.DeepEqual(o.AsInterface(), n.AsInterface()) {
			continue
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case !inOld:
			kind = pulumirpc.PropertyDiff_ADD
		case !inNew:
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if replaceKeys[k] {
			kind += 1 // each *_REPLACE kind follows its plain kind
			replaces = append(replaces, k)
		}
		diffs = append(diffs, k)
		detailed[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	sort.Strings(diffs)
	sort.Strings(replaces)
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(diffs) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{
		Changes:         changes,
		Diffs:           diffs,
		Replaces:        replaces,
		DetailedDiff:    detailed,
		HasDetailedDiff: true,
	}, nil
}

func (p *fixture) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	props := req.GetProperties()
	if req.GetPreview() {
		// The engine asks for a planned result; nothing may happen yet.
		return &pulumirpc.CreateResponse{Properties: props}, nil
	}
	if err := p.act(ctx, props); err != nil {
		return nil, err
	}
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: hex.EncodeToString(id), Properties: props}, nil
}

func (p *fixture) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	if req.GetPreview() {
		return &pulumirpc.UpdateResponse{Properties: req.GetNews()}, nil
	}
	if err := p.act(ctx, req.GetNews()); err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: req.GetNews()}, nil
}

func (p *fixture) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *fixture) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *fixture) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancelOnce.Do(func() { close(p.cancelled) })
	return &emptypb.Empty{}, nil
}

// act performs the side effects a real provider would: failing on request,
// or taking time that the engine may cut short.
func (p *fixture) act(ctx context.Context, props *structpb.Struct) error {
	f := fields(props)
	if v, ok := f["value"]; ok && v.GetStringValue() == "fail" {
		return fmt.Errorf("the fixture was asked to fail (value: fail)")
	}
	if s, ok := f["seconds"]; ok {
		select {
		case <-time.After(time.Duration(s.GetNumberValue() * float64(time.Second))):
		case <-p.cancelled:
			return fmt.Errorf("cancelled by the engine")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func fields(s *structpb.Struct) map[string]*structpb.Value {
	if s == nil {
		return map[string]*structpb.Value{}
	}
	return s.GetFields()
}
