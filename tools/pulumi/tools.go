//go:build tools

// Package tools pins the Pulumi CLI that stackpilot's tests drive. The CLI is
// not published to any package registry this project can reach, but its source
// is a Go module, so the test setup builds it from the module proxy.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
)
