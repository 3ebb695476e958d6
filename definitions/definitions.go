// Package definitions holds the marketing definitions kept in the repo as
// code: forms, email templates, interest rules, the scoring model,
// subscription topics and sending settings. They are compiled into every
// function as defaults; the admin API can override them at runtime
// (shared/definition). Both paths go through the same validators, and CI
// runs `go run ./cmd/leadflow defs validate` over this folder.
//
// Adding a kind: its Go type with a Validate method, its files here, and one
// line in Specs (plus its name in shared/catalog's DefinitionKinds).
package definitions

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/form"
	"github.com/leadflow/leadflow/shared/interest"
	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/preference"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/segment"
	"github.com/leadflow/leadflow/shared/template"
)

//go:embed forms templates segments lists journeys campaigns *.json
var files embed.FS

// The kinds, one value each; the catalog lists the same names.
const (
	KindForms     definition.Kind = "forms"
	KindTemplates definition.Kind = "templates"
	KindInterests definition.Kind = "interests"
	KindScoring   definition.Kind = "scoring"
	KindTopics    definition.Kind = "topics"
	KindSending   definition.Kind = "sending"
	KindSegments  definition.Kind = "segments"
	KindLists     definition.Kind = "lists"
	KindJourneys  definition.Kind = "journeys"
	KindCampaigns definition.Kind = "campaigns"
)

// Specs are the kinds of definition, in the catalog's order.
func Specs() []definition.Spec {
	templates := definition.Keyed[template.Template](KindTemplates, "template", "templates",
		definition.BodyFile{Field: "html", Ext: ".html", Required: true},
		definition.BodyFile{Field: "text", Ext: ".txt"})
	templates.Present = templateWarnings
	scoringSpec := definition.Singleton[scoring.Model](KindScoring, "scoring model", "scoring.json")
	scoringSpec.Envelope = "model"
	scoringSpec.Present = scoringVersion
	journeys := definition.Keyed[journey.Journey](KindJourneys, "journey", "journeys")
	journeys.Present = journeyMigrations
	return []definition.Spec{
		definition.Keyed[form.Form](KindForms, "form", "forms"),
		templates,
		definition.Singleton[interest.Rules](KindInterests, "interest rules", "interests.json"),
		scoringSpec,
		definition.Singleton[TopicList](KindTopics, "topic list", "topics.json"),
		definition.Singleton[mail.Settings](KindSending, "sending settings", "sending.json"),
		definition.Keyed[segment.Segment](KindSegments, "segment", "segments"),
		definition.Keyed[segment.List](KindLists, "list", "lists"),
		journeys,
		definition.Keyed[campaign.Campaign](KindCampaigns, "campaign", "campaigns"),
	}
}

// TopicList is definitions/topics.json: the subscription topics the
// preference centre lists, in its order.
type TopicList struct {
	Topics []preference.Topic `json:"topics"`
}

// Validate implements definition.Validator.
func (l TopicList) Validate() error { return preference.ValidateTopics(l.Topics) }

// templateWarnings shows a template's compile warnings beside it.
func templateWarnings(body json.RawMessage) map[string]any {
	var t template.Template
	out := []string{}
	if json.Unmarshal(body, &t) == nil {
		_, warns, _ := template.Compile(t)
		for _, w := range warns {
			out = append(out, w.String())
		}
	}
	return map[string]any{"warnings": out}
}

// journeyMigrations shows, beside a journey stored with conditions in the
// old condition syntax, each condition as it was and the segment filter it
// runs as (decoding rewrites them; the next save stores the new form).
func journeyMigrations(body json.RawMessage) map[string]any {
	j, err := definition.DecodeAs[journey.Journey](body)
	if err != nil || len(j.Migrated) == 0 {
		return nil
	}
	return map[string]any{"migrated": j.Migrated}
}

// scoringVersion answers the model with its content hash as "version",
// as /v1/scoring always has (contacts record the model they were scored by).
func scoringVersion(body json.RawMessage) map[string]any {
	m, err := ScoringModel(body)
	if err != nil {
		return nil
	}
	return map[string]any{"model": m}
}

// ScoringModel decodes a scoring definition with its Version set.
func ScoringModel(body json.RawMessage) (scoring.Model, error) {
	m, err := definition.DecodeAs[scoring.Model](body)
	m.Version = m.Fingerprint()
	return m, err
}

// kindLoaders read and check one kind's compiled-in files each, once. A
// cold start reads none: a function reads the kinds it needs when it first
// needs them (reading and checking every kind took ~12 ms of each cold
// start of every function that read definitions).
var kindLoaders = sync.OnceValue(func() map[definition.Kind]func() (map[string]json.RawMessage, error) {
	m := map[definition.Kind]func() (map[string]json.RawMessage, error){}
	for _, s := range Specs() {
		m[s.Kind] = sync.OnceValues(func() (map[string]json.RawMessage, error) { return definition.LoadKind(files, s) })
	}
	return m
})

// repoKind returns one kind's compiled-in definitions, checked; on an
// error, the ones that loaded.
func repoKind(k definition.Kind) (map[string]json.RawMessage, error) {
	load, ok := kindLoaders()[k]
	if !ok {
		return nil, fmt.Errorf("definitions: %q: %w", k, definition.ErrUnknownKind)
	}
	return load()
}

// Repo returns the compiled-in definitions, checked. CI refuses a broken
// file, so an error here means a broken build.
func Repo() (definition.Repo, error) {
	repo := definition.Repo{}
	var errs []error
	for _, s := range Specs() {
		defs, err := repoKind(s.Kind)
		if err != nil {
			errs = append(errs, err)
		}
		repo[s.Kind] = defs
	}
	return repo, errors.Join(errs...)
}

// Validate checks every definition compiled in. The CDK app runs it before
// synth, so `cdk deploy` refuses a broken definition instead of shipping
// functions that fail at cold start.
func Validate() error {
	_, err := Repo()
	return err
}

func repoOne[T any](k definition.Kind, id string) (T, error) {
	var zero T
	defs, err := repoKind(k)
	if err != nil {
		return zero, err
	}
	raw, ok := defs[id]
	if !ok {
		return zero, fmt.Errorf("definitions: no %s/%s", k, id)
	}
	return definition.DecodeAs[T](raw)
}

func repoAll[T any](k definition.Kind) ([]T, error) {
	defs, err := repoKind(k)
	if err != nil {
		return nil, err
	}
	var out []T
	for _, id := range (definition.Repo{k: defs}).IDs(k) {
		v, err := definition.DecodeAs[T](defs[id])
		if err != nil {
			return nil, fmt.Errorf("definitions/%s/%s: %w", k, id, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// The repo's definitions, typed, for tests and for what runs before any
// table exists (the stack's synth).

func Forms() ([]form.Form, error)             { return repoAll[form.Form](KindForms) }
func Templates() ([]template.Template, error) { return repoAll[template.Template](KindTemplates) }
func Interests() (interest.Rules, error) {
	return repoOne[interest.Rules](KindInterests, definition.DefaultID)
}

// OnFirstUse reads a repo definition on its first call only, safely for
// concurrent callers, and gives every caller what that read returned; a
// read that fails gives what (the caller and the file) with its reason,
// never a half-read value. Functions that need a definition only on some
// requests read it so instead of at every cold start (decoding and
// checking sending.json alone took ~0.7 ms).
func OnFirstUse[T any](what string, read func() (T, error)) func() (T, error) {
	return sync.OnceValues(func() (T, error) {
		v, err := read()
		if err != nil {
			var zero T
			return zero, fmt.Errorf("%s: %w", what, err)
		}
		return v, nil
	})
}

func Sending() (mail.Settings, error) {
	return repoOne[mail.Settings](KindSending, definition.DefaultID)
}
func Topics() ([]preference.Topic, error) {
	l, err := repoOne[TopicList](KindTopics, definition.DefaultID)
	return l.Topics, err
}
func Journeys() ([]journey.Journey, error) { return repoAll[journey.Journey](KindJourneys) }

// JourneyBodies are the repo's journeys by id (their version 0), for the
// runtime library.
func JourneyBodies() map[string]json.RawMessage {
	defs, err := repoKind(KindJourneys)
	if err != nil {
		return nil
	}
	return defs
}
func Scoring() (scoring.Model, error) {
	defs, err := repoKind(KindScoring)
	if err != nil {
		return scoring.Model{}, err
	}
	return ScoringModel(defs[definition.DefaultID])
}

// Registry is the registry over a store with the compiled-in definitions.
// It checks every kind's files at once (the admin API serves them all).
func Registry(store definition.Store) (*definition.Registry, error) {
	repo, err := Repo()
	return definition.New(store, Specs(), repo), err
}

// AdminRegistry is Registry for the admin API's cold start: a kind's
// compiled-in files are read and checked when the kind is first used, not
// all of them at start (20-28 ms of CPU on the bench machine, every admin
// cold start). Every file was checked in CI and by the stack's synth
// (Validate); a kind whose files are broken gives the ones that load.
func AdminRegistry(store definition.Store) *definition.Registry {
	return definition.NewLazy(store, Specs(), func(k definition.Kind) map[string]json.RawMessage {
		defs, _ := repoKind(k)
		return defs
	})
}

// Reader is the registry the functions that only read definitions use:
// an override saved in an old layout is read as it is; the admin API
// migrates it. It reads and checks a kind's compiled-in files when the
// kind is first read, not at the cold start; a kind whose files are broken
// (which CI and the stack's synth refuse) gives the ones that load, as
// Registry does.
func Reader(store definition.Store) *definition.Registry {
	return definition.NewLazy(store, Specs(), func(k definition.Kind) map[string]json.RawMessage {
		defs, _ := repoKind(k)
		return defs
	}).ReadOnly()
}

// The caches each function reads definitions through, one per kind, all
// with definition.CacheTTL. Each decodes (compiles, builds an engine) only
// when the definition changed.

// FormCache gives forms.
func FormCache(g definition.Getter) *definition.Cache[form.Form] {
	return definition.NewCache(g, KindForms, definition.DecodeAs[form.Form])
}

// TemplateCache gives compiled templates; a stored template that no longer
// compiles is an error, remembered like a template.
func TemplateCache(g definition.Getter) *definition.Cache[*template.Compiled] {
	return definition.NewCache(g, KindTemplates, func(raw json.RawMessage) (*template.Compiled, error) {
		t, err := definition.DecodeAs[template.Template](raw)
		if err != nil {
			return nil, err
		}
		c, _, err := template.Compile(t)
		if err != nil {
			return nil, fmt.Errorf("template %s no longer compiles: %w", t.ID, err)
		}
		return c, nil
	})
}

// ScoringCache gives the engine of the scoring model in force.
func ScoringCache(g definition.Getter) *definition.Cache[*scoring.Engine] {
	return definition.NewCache(g, KindScoring, func(raw json.RawMessage) (*scoring.Engine, error) {
		m, err := ScoringModel(raw)
		if err != nil {
			return nil, err
		}
		return scoring.NewEngine(m)
	})
}

// InterestCache gives the interest rules.
func InterestCache(g definition.Getter) *definition.Cache[interest.Rules] {
	return definition.NewCache(g, KindInterests, definition.DecodeAs[interest.Rules])
}

// TopicCache gives the subscription topics.
func TopicCache(g definition.Getter) *definition.Cache[[]preference.Topic] {
	return definition.NewCache(g, KindTopics, func(raw json.RawMessage) ([]preference.Topic, error) {
		l, err := definition.DecodeAs[TopicList](raw)
		return l.Topics, err
	})
}

// SendingCache gives the sending settings.
func SendingCache(g definition.Getter) *definition.Cache[mail.Settings] {
	return definition.NewCache(g, KindSending, definition.DecodeAs[mail.Settings])
}

// Compiled gives compiled templates to the mail package (its
// TemplateSource and CompiledTemplates ports) through the cache.
type Compiled struct {
	C *definition.Cache[*template.Compiled]
}

// CompiledTemplates reads compiled templates through a TemplateCache.
func CompiledTemplates(g definition.Getter) Compiled { return Compiled{TemplateCache(g)} }

// Compiled returns the compiled template in effect; mail.ErrTemplateNotFound
// for an unknown id, an error wrapping template.ErrInvalid for one that no
// longer compiles.
func (s Compiled) Compiled(ctx context.Context, id string) (*template.Compiled, error) {
	c, err := s.C.Get(ctx, id)
	if errors.Is(err, definition.ErrNotFound) {
		return nil, fmt.Errorf("template %s: %w", id, mail.ErrTemplateNotFound)
	}
	return c, err
}

// CampaignCache gives campaign definitions.
func CampaignCache(g definition.Getter) *definition.Cache[campaign.Campaign] {
	return definition.NewCache(g, KindCampaigns, definition.DecodeAs[campaign.Campaign])
}

// Campaigns reads campaign definitions for the campaign package (its
// Definitions port); an unknown id is campaign.ErrNotFound.
type Campaigns struct {
	C *definition.Cache[campaign.Campaign]
}

// Campaign returns the definition in effect.
func (s Campaigns) Campaign(ctx context.Context, id string) (campaign.Campaign, error) {
	c, err := s.C.Get(ctx, id)
	if errors.Is(err, definition.ErrNotFound) {
		return c, fmt.Errorf("campaign %s: %w", id, campaign.ErrNotFound)
	}
	return c, err
}

// RepoCampaigns are the campaigns kept in definitions/campaigns/.
func RepoCampaigns() ([]campaign.Campaign, error) { return repoAll[campaign.Campaign](KindCampaigns) }
