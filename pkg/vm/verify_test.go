package vm

import (
	"strings"
	"testing"

	"github.com/expressd/expressd/pkg/value"
)

// minimal returns a valid one-state program: Enter A; Succeed.
func minimal() *Program {
	return &Program{
		Code:   []Inst{{Op: OpEnter, A: 0}, {Op: OpSucceed}},
		States: []StateInfo{{Name: "A", Type: "Pass", Entry: 0, Handler: -1}},
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *Program)
		want   string // substring of the error; "" means valid
	}{
		{"valid", func(p *Program) {}, ""},
		{"valid const", func(p *Program) {
			p.Consts = []value.Value{value.True}
			p.Code = []Inst{{Op: OpEnter}, {Op: OpConst, A: 0, B: uint32(RegRes)}, {Op: OpSucceed}}
		}, ""},
		{"empty", func(p *Program) { p.Code = nil }, "empty program"},
		{"bad jump", func(p *Program) { p.Code[1] = Inst{Op: OpGoto, A: 99} }, "jump target index 99 out of range"},
		{"bad inner jump", func(p *Program) {
			p.Code = []Inst{{Op: OpEnter}, {Op: OpJump, A: 2}}
		}, "jump target index 2 out of range"},
		{"bad test target", func(p *Program) {
			p.Paths = []Path{{Slot: -1}}
			p.Compares = []Compare{{OperandPath: -1}}
			p.Code = []Inst{{Op: OpEnter}, {Op: OpTest, A: 0, B: 7}, {Op: OpSucceed}}
		}, "jump target index 7"},
		{"bad const index", func(p *Program) {
			p.Code = []Inst{{Op: OpEnter}, {Op: OpConst, A: 3, B: uint32(RegRes)}, {Op: OpSucceed}}
		}, "const index 3 out of range (0)"},
		{"bad path index", func(p *Program) {
			p.Code = []Inst{{Op: OpEnter}, {Op: OpPath, A: 0, B: Regs(RegIn, RegEff)}, {Op: OpSucceed}}
		}, "path index 0 out of range"},
		{"bad task index", func(p *Program) {
			p.Code = []Inst{{Op: OpEnter}, {Op: OpTask, A: 1}, {Op: OpSucceed}}
		}, "task index 1 out of range"},
		{"bad fail index", func(p *Program) { p.Code[1] = Inst{Op: OpFail, A: 0} }, "fail index 0 out of range"},
		{"bad state index", func(p *Program) { p.Code[0] = Inst{Op: OpEnter, A: 5} }, "state index 5 out of range"},
		{"bad register pair", func(p *Program) {
			p.Code = []Inst{{Op: OpEnter}, {Op: OpMove, B: Regs(7, RegOut)}, {Op: OpSucceed}}
		}, "bad register operand"},
		{"bad register high bits", func(p *Program) {
			p.Code = []Inst{{Op: OpEnter}, {Op: OpMove, B: 1 << 8}, {Op: OpSucceed}}
		}, "bad register operand"},
		{"bad const register", func(p *Program) {
			p.Consts = []value.Value{value.True}
			p.Code = []Inst{{Op: OpEnter}, {Op: OpConst, A: 0, B: 9}, {Op: OpSucceed}}
		}, "bad register 9"},
		{"unknown opcode", func(p *Program) { p.Code[1] = Inst{Op: numOpcodes} }, "unknown opcode"},
		{"unknown opcode 255", func(p *Program) { p.Code = append([]Inst{{Op: 255}}, p.Code...) }, "unknown opcode 255"},
		{"falls off the end", func(p *Program) { p.Code[1] = Inst{Op: OpMove, B: Regs(RegEff, RegOut)} }, "falls off the end"},
		{"ends in a task", func(p *Program) {
			p.Tasks = []Task{{}}
			p.Code[1] = Inst{Op: OpTask}
		}, "falls off the end"},
		{"state entry not Enter", func(p *Program) {
			p.Code = []Inst{{Op: OpNop}, {Op: OpEnter}, {Op: OpSucceed}}
		}, "is not its OpEnter"},
		{"state entry out of range", func(p *Program) { p.States[0].Entry = 10 }, "is not its OpEnter"},
		{"state handler out of range", func(p *Program) { p.States[0].Handler = 0 }, "handler 0 out of range"},
		{"handler bad range", func(p *Program) {
			p.Handlers = []Handler{{Start: 1, End: 5}}
		}, "bad range"},
		{"catcher target not a state", func(p *Program) {
			p.Handlers = []Handler{{Start: 1, End: 2, Catchers: []Catcher{{Next: 1, ResultPath: ResultPathRoot, Assign: -1}}}}
		}, "not a state entry"},
		{"catcher result path out of range", func(p *Program) {
			p.Handlers = []Handler{{Start: 1, End: 2, Catchers: []Catcher{{Next: 0, ResultPath: 3, Assign: -1}}}}
		}, "catcher pool index out of range"},
		{"parallel branch out of range", func(p *Program) {
			p.Parallels = []Parallel{{Branches: []uint32{0, 40}}}
			p.Code = []Inst{{Op: OpEnter}, {Op: OpParallel}, {Op: OpSucceed}}
		}, "branch entry index 40"},
		{"map processor out of range", func(p *Program) {
			p.Maps = []Map{{Processor: 40, ItemsPath: -1, Selector: -1, MaxConcurrencyPath: -1}}
			p.Code = []Inst{{Op: OpEnter}, {Op: OpMap}, {Op: OpSucceed}}
		}, "processor entry index 40"},
		{"template path out of range", func(p *Program) {
			p.Templates = []Template{{Root: TNode{Kind: TObject, Keys: []string{"a"}, Items: []TNode{{Kind: TPath, Index: 2}}}}}
		}, "template 0: path 2 out of range"},
		{"template keys and items differ", func(p *Program) {
			p.Templates = []Template{{Root: TNode{Kind: TObject, Keys: []string{"a", "b"}, Items: []TNode{{Kind: TConst}}}}}
		}, "2 keys and 1 items"},
		{"template node kind", func(p *Program) {
			p.Templates = []Template{{Root: TNode{Kind: 42}}}
		}, "unknown node kind"},
		{"assign slot out of range", func(p *Program) {
			p.Assigns = []Assign{{Slots: []uint32{0}, Tmpl: TNode{Kind: TConst}}}
		}, "slot 0 out of range"},
		{"compare path out of range", func(p *Program) {
			p.Compares = []Compare{{Var: 1, OperandPath: -1}}
		}, "compare 0: path out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := minimal()
			tc.mutate(p)
			err := Verify(p)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Verify: %v, want nil", err)
			case tc.want != "" && err == nil:
				t.Errorf("Verify: nil, want an error containing %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("Verify: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
