package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/appstack/appstack/internal/condition"
	"github.com/appstack/appstack/internal/lsconf"
	"github.com/appstack/appstack/internal/pipeline"
	"github.com/appstack/appstack/internal/plugin"
)

// assembly is a config built into plugins: what startup runs, and what
// `-t` builds and throws away, so that both refuse the same things.
type assembly struct {
	inputs   []pipeline.NamedInput
	outputs  []*pipeline.NamedOutput
	routes   []pipeline.Step
	warnings []string

	env     *env
	filterS []filterSection
	conds   map[*lsconf.Branch]condition.Func
	// first is the filter section built by assemble, handed to the first
	// worker; later workers build their own.
	first []pipeline.Step
}

type filterSection struct {
	file string
	body []lsconf.Statement
}

// assemble builds every plugin of cfg, compiles every condition, and
// returns all the errors found, each with its file:line:col. On error the
// assembly holds only its warnings (and is closed).
func assemble(cfg *lsconf.Config, e *env) (*assembly, error) {
	a := &assembly{env: e, conds: map[*lsconf.Branch]condition.Func{}}
	var errs []error
	for si := range cfg.Sections {
		s := &cfg.Sections[si]
		file := cfg.File
		if s.File != "" {
			file = s.File
		}
		switch s.Kind {
		case "input":
			for i := range s.Plugins {
				if in, err := a.input(file, &s.Plugins[i]); err != nil {
					errs = append(errs, err)
				} else {
					a.inputs = append(a.inputs, in)
				}
			}
		case "filter":
			a.filterS = append(a.filterS, filterSection{file, s.Body})
		case "output":
			routes, err := a.routeSteps(file, s.Body)
			errs = append(errs, err)
			a.routes = append(a.routes, routes...)
		}
	}
	first, err := a.filterSteps(true)
	errs = append(errs, err)
	a.first = first
	if err := errors.Join(errs...); err != nil {
		a.close()
		return a, err // with the warnings found, nothing to run
	}
	whole := &lsconf.Error{File: cfg.File, Pos: lsconf.Pos{Line: 1, Col: 1}}
	switch {
	case len(a.inputs) == 0:
		whole.Msg = "no input plugin configured"
	case len(a.outputs) == 0:
		whole.Msg = "no output plugin configured"
	default:
		return a, nil
	}
	a.close()
	return a, whole
}

// pluginOptions returns the options of pl, or an error when logship has no
// plugin of that kind and name.
func pluginOptions[T any](kind, file string, pl *lsconf.Plugin, table map[string]T) (*plugin.Options, T, error) {
	var zero T
	if ctor, ok := table[pl.Name]; ok {
		return plugin.New(kind, file, pl), ctor, nil
	}
	if why, ok := cannot[kind+" "+pl.Name]; ok {
		return nil, zero, &lsconf.Error{File: file, Pos: pl.Pos,
			Msg: fmt.Sprintf("%s plugin %q cannot be supported by logship: %s", kind, pl.Name, why)}
	}
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	slices.Sort(names)
	return nil, zero, &lsconf.Error{File: file, Pos: pl.Pos,
		Msg: fmt.Sprintf("%s plugin %q is not supported by logship (supported %ss: %s)", kind, pl.Name, kind, strings.Join(names, ", "))}
}

func (a *assembly) input(file string, pl *lsconf.Plugin) (pipeline.NamedInput, error) {
	o, newInput, err := pluginOptions("input", file, pl, inputPlugins)
	if err != nil {
		return pipeline.NamedInput{}, err
	}
	in := newInput(o, a.env)
	a.warnings = append(a.warnings, o.Warnings()...)
	if err := o.Err(); err != nil {
		return pipeline.NamedInput{}, err
	}
	return pipeline.NamedInput{Name: name(o, pl.Name, len(a.inputs)), Input: in}, nil
}

// name is what metrics and logs call a plugin: its id, or name.index.
func name(o *plugin.Options, kind string, index int) string {
	if v, ok := o.Raw("id"); ok && v.Text != "" {
		return v.Text
	}
	return kind + "." + strconv.Itoa(index)
}

// condition compiles b's condition once; workers share it.
func (a *assembly) condition(file string, b *lsconf.Branch) (condition.Func, error) {
	if b.Cond == nil {
		return nil, nil
	}
	if f, ok := a.conds[b]; ok {
		return f, nil
	}
	f, err := condition.Compile(file, b.Cond)
	if err != nil {
		return nil, err
	}
	a.conds[b] = f
	return f, nil
}

// routeSteps builds the outputs of an output section and the conditionals
// that route events to them.
func (a *assembly) routeSteps(file string, body []lsconf.Statement) ([]pipeline.Step, error) {
	var steps []pipeline.Step
	var errs []error
	for _, st := range body {
		if st.Plugin != nil {
			out, err := a.output(file, st.Plugin)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			steps = append(steps, pipeline.Step{Output: out})
			continue
		}
		branches, err := branches(a, file, st.If, a.routeSteps)
		errs = append(errs, err)
		steps = append(steps, pipeline.Step{If: branches})
	}
	return steps, errors.Join(errs...)
}

func (a *assembly) output(file string, pl *lsconf.Plugin) (*pipeline.NamedOutput, error) {
	o, newOutput, err := pluginOptions("output", file, pl, outputPlugins)
	if err != nil {
		return nil, err
	}
	out := newOutput(o, a.env, len(a.outputs))
	a.warnings = append(a.warnings, o.Warnings()...)
	if err := o.Err(); err != nil {
		return nil, err // constructors hold nothing before they succeed
	}
	named := &pipeline.NamedOutput{Name: name(o, pl.Name, len(a.outputs)), Output: out}
	a.outputs = append(a.outputs, named)
	return named, nil
}

// filterSteps builds the filter sections, with new filter instances each
// time it is called; record keeps the warnings (of the first build).
func (a *assembly) filterSteps(record bool) ([]pipeline.Step, error) {
	var steps []pipeline.Step
	var errs []error
	index := 0
	for _, s := range a.filterS {
		var build func(file string, body []lsconf.Statement) ([]pipeline.Step, error)
		build = func(file string, body []lsconf.Statement) ([]pipeline.Step, error) {
			var steps []pipeline.Step
			var errs []error
			for _, st := range body {
				if st.Plugin == nil {
					branches, err := branches(a, file, st.If, build)
					errs = append(errs, err)
					steps = append(steps, pipeline.Step{If: branches})
					continue
				}
				f, err := a.filter(file, st.Plugin, index, record)
				index++
				if err != nil {
					errs = append(errs, err)
					continue
				}
				steps = append(steps, pipeline.Step{Filter: f})
			}
			return steps, errors.Join(errs...)
		}
		section, err := build(s.file, s.body)
		errs = append(errs, err)
		steps = append(steps, section...)
	}
	if err := errors.Join(errs...); err != nil {
		pipeline.CloseFilters(steps)
		return nil, err
	}
	return steps, nil
}

func (a *assembly) filter(file string, pl *lsconf.Plugin, index int, record bool) (*pipeline.FilterStep, error) {
	o, newFilter, err := pluginOptions("filter", file, pl, filterPlugins)
	if err != nil {
		return nil, err
	}
	f := newFilter(o, a.env)
	common := plugin.ReadCommon(o)
	if record {
		a.warnings = append(a.warnings, o.Warnings()...)
	}
	if err := o.Err(); err != nil {
		if c, ok := f.(io.Closer); ok {
			_ = c.Close()
		}
		return nil, err
	}
	return &pipeline.FilterStep{Name: name(o, pl.Name, index), Filter: f, Common: common}, nil
}

// branches builds the arms of a conditional with build for their bodies.
func branches(a *assembly, file string, c *lsconf.If, build func(string, []lsconf.Statement) ([]pipeline.Step, error)) ([]pipeline.Branch, error) {
	var out []pipeline.Branch
	var errs []error
	for i := range c.Branches {
		b := &c.Branches[i]
		when, err := a.condition(file, b)
		errs = append(errs, err)
		steps, err := build(file, b.Body)
		errs = append(errs, err)
		out = append(out, pipeline.Branch{When: when, Steps: steps})
	}
	return out, errors.Join(errs...)
}

// filters is pipeline.Pipeline.Filters: the first call returns the
// filters assemble built, later calls build new ones.
func (a *assembly) filters() ([]pipeline.Step, error) {
	if a.first != nil {
		steps := a.first
		a.first = nil
		return steps, nil
	}
	return a.filterSteps(false)
}

// close releases what was built and will not run: outputs and filters.
func (a *assembly) close() {
	for _, o := range a.outputs {
		_ = o.Output.Close()
	}
	pipeline.CloseFilters(a.first)
}
