// Command crdcheck decodes the Prometheus Operator resources of rendered Kubernetes manifests
// (PodMonitor, ServiceMonitor, PrometheusRule) strictly into the operator's own Go API types:
// an unknown or misspelt field, or a value of the wrong type, is an error. kubeconform checks
// the built-in kinds against the Kubernetes schemas; it has no schema for these.
//
//	crdcheck FILE...   exit 0 when every such resource decodes, 1 otherwise
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// target returns an empty object of the operator type for a kind, or nil for other kinds.
func target(h header) any {
	if h.APIVersion != "monitoring.coreos.com/v1" {
		return nil
	}
	switch h.Kind {
	case "PodMonitor":
		return &monitoringv1.PodMonitor{}
	case "ServiceMonitor":
		return &monitoringv1.ServiceMonitor{}
	case "PrometheusRule":
		return &monitoringv1.PrometheusRule{}
	}
	return nil
}

func checkFile(path string) (checked int, failures int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return checked, failures, nil
		}
		if err != nil {
			return checked, failures, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var h header
		if err := yaml.Unmarshal(doc, &h); err != nil {
			return checked, failures, err
		}
		obj := target(h)
		if obj == nil {
			continue
		}
		checked++
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			failures++
			fmt.Printf("%s - %s %s is invalid: %v\n", path, h.Kind, h.Metadata.Name, err)
			continue
		}
		fmt.Printf("%s - %s %s is valid\n", path, h.Kind, h.Metadata.Name)
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: crdcheck FILE...")
		os.Exit(2)
	}
	checked, failures := 0, 0
	for _, path := range os.Args[1:] {
		c, f, err := checkFile(path)
		checked, failures = checked+c, failures+f
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(2)
		}
	}
	fmt.Printf("Summary: %d Prometheus Operator resources, %d invalid\n", checked, failures)
	if failures > 0 {
		os.Exit(1)
	}
}
