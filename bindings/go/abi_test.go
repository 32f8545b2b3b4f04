package vmmctl_test

import (
	"encoding/json"
	"strings"
	"testing"

	"vmmctl.dev/vmmctl"
)

// The shared ABI description, tests/abi/abi.json of the source tree, as
// abiJSON (abi_json_test.go, a generated copy checked by tests/go).
type abiFile struct {
	Schema    int               `json:"schema"`
	Constants map[string]uint64 `json:"constants"`
	Structs   map[string]struct {
		Size   uintptr `json:"size"`
		Align  uintptr `json:"align"`
		Fields []struct {
			Name   string  `json:"name"`
			Offset uintptr `json:"offset"`
			Size   uintptr `json:"size"`
			Type   string  `json:"type"`
		} `json:"fields"`
	} `json:"structs"`
	Functions []struct {
		Name   string `json:"name"`
		Return string `json:"return"`
		Params []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"params"`
	} `json:"functions"`
}

func loadABI(t *testing.T) *abiFile {
	t.Helper()
	var abi abiFile
	if err := json.Unmarshal([]byte(abiJSON), &abi); err != nil {
		t.Fatalf("abi.json: %v", err)
	}
	if abi.Schema != 1 {
		t.Fatalf("abi.json: schema %d, this test knows 1", abi.Schema)
	}
	return &abi
}

func TestABIConstants(t *testing.T) {
	abi := loadABI(t)
	constants := vmmctl.ABIConstants()
	if len(abi.Constants) == 0 {
		t.Fatal("abi.json lists no constants")
	}
	for name, want := range abi.Constants {
		got, ok := constants[name]
		if !ok {
			t.Errorf("%s: in abi.json, unknown to the Go binding", name)
			continue
		}
		if got != want {
			t.Errorf("%s = %d (%#x) through cgo, abi.json says %d (%#x)",
				name, got, got, want, want)
		}
	}
	for name := range constants {
		if _, ok := abi.Constants[name]; !ok {
			t.Errorf("%s: checked by Go, missing from abi.json", name)
		}
	}
}

func TestABIStructs(t *testing.T) {
	abi := loadABI(t)
	structs := vmmctl.ABIStructs()
	if len(abi.Structs) == 0 {
		t.Fatal("abi.json lists no structs")
	}
	for name, want := range abi.Structs {
		got, ok := structs[name]
		if !ok {
			t.Errorf("struct %s: in abi.json, unknown to the Go binding", name)
			continue
		}
		if got.Size != want.Size || got.Align != want.Align {
			t.Errorf("struct %s: size %d align %d through cgo, abi.json "+
				"says size %d align %d", name, got.Size, got.Align,
				want.Size, want.Align)
		}
		if len(got.Fields) != len(want.Fields) {
			t.Errorf("struct %s: %d fields through cgo, %d in abi.json",
				name, len(got.Fields), len(want.Fields))
		}
		for _, f := range want.Fields {
			g, ok := got.Fields[f.Name]
			if !ok {
				t.Errorf("struct %s: no field %s", name, f.Name)
				continue
			}
			if g.Offset != f.Offset || g.Size != f.Size {
				t.Errorf("%s.%s: offset %d size %d through cgo, abi.json "+
					"says offset %d size %d", name, f.Name, g.Offset,
					g.Size, f.Offset, f.Size)
			}
		}
	}
	for name := range structs {
		if _, ok := abi.Structs[name]; !ok {
			t.Errorf("struct %s: checked by Go, missing from abi.json", name)
		}
	}
}

// normC squeezes C type text for comparison: "const char*" and
// "const char *" are the same.
func normC(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, " *", "*")
	return strings.ReplaceAll(s, "* ", "*")
}

func TestABIFunctions(t *testing.T) {
	abi := loadABI(t)
	fns := vmmctl.ABIFuncs()
	if n := vmmctl.ABILinked(); n != len(fns) {
		t.Fatalf("%d of %d functions linked", n, len(fns))
	}
	if len(abi.Functions) != len(fns) {
		t.Errorf("abi.json lists %d functions, the Go binding checks %d",
			len(abi.Functions), len(fns))
	}
	for i, want := range abi.Functions {
		if i >= len(fns) {
			t.Errorf("%s: in abi.json, unknown to the Go binding", want.Name)
			continue
		}
		got := fns[i]
		if got.Name != want.Name {
			t.Errorf("function #%d: %s in the Go check, %s in abi.json",
				i, got.Name, want.Name)
			continue
		}
		if !got.Matches {
			t.Errorf("%s: the header's prototype differs from %s %s%s",
				got.Name, got.Return, got.Name, got.Params)
		}
		params := make([]string, len(want.Params))
		for j, p := range want.Params {
			params[j] = normC(p.Type + " " + p.Name)
		}
		wantParams := "(" + strings.Join(params, ", ") + ")"
		if len(params) == 0 {
			wantParams = "(void)"
		}
		if normC(got.Return) != normC(want.Return) ||
			normC(got.Params) != normC(wantParams) {
			t.Errorf("%s: checked as %s %s, abi.json says %s %s", got.Name,
				got.Return, got.Params, want.Return, wantParams)
		}
	}
}
