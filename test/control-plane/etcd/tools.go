//go:build tools

// Package tools names the command build.sh builds (etcd's main package is the
// module root of go.etcd.io/etcd/server/v3), so go mod tidy keeps its dependencies.
package tools

import _ "go.etcd.io/etcd/server/v3"
