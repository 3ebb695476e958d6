package contact

import "time"

// CampaignTouch is a campaign mail a contact engaged with, kept compact
// (short JSON names: it rides on every profile write).
type CampaignTouch struct {
	SendID   string    `json:"s"`
	Campaign string    `json:"c"`
	At       time.Time `json:"t"`
}
