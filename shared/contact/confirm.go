package contact

import (
	"context"

	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/tracking"
)

// ConfirmTemplate is the transactional template of double opt-in mail.
const ConfirmTemplate = "double-opt-in"

// WithMail sets where send requests go (double opt-in confirmations).
func (p *Processor) WithMail(q mail.Queue) *Processor {
	p.mail = q
	return p
}

// confirmations returns the double opt-in mails a batch calls for: one per
// form fill that asked for double opt-in while the contact is still pending,
// unless ingest marked the fill as past its address's daily allowance.
// The send id is derived from the consent, so a redelivered fill (which the
// de-dup window drops anyway) or a retried write cannot mail twice.
func confirmations(working *Profile, fresh []tracking.Message) []mail.Request {
	if working.Status != "pending" {
		return nil
	}
	var out []mail.Request
	for _, m := range fresh {
		in := m.Context.Leadflow
		if in == nil || !in.DoubleOptIn || in.Consent == nil || in.NoConfirmMail {
			continue
		}
		out = append(out, mail.Request{
			SendID:      mail.ConfirmSendID(working.ID, in.FormID, in.Consent.At),
			ContactID:   working.ID,
			TemplateID:  ConfirmTemplate,
			Kind:        mail.Transactional,
			Source:      mail.Source{Form: in.FormID},
			RequestedAt: m.ReceivedAt,
		})
	}
	return out
}

func (p *Processor) requestConfirmations(ctx context.Context, working *Profile, fresh []tracking.Message) error {
	if p.mail == nil {
		return nil
	}
	for _, r := range confirmations(working, fresh) {
		if err := mail.Enqueue(ctx, p.mail, r); err != nil {
			return err
		}
	}
	return nil
}
