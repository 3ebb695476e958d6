package definitions

import "testing"

func TestRepoSendingSettingsAreValid(t *testing.T) {
	s, err := Sending()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.FrequencyCaps) == 0 || s.QuietHours == nil || s.Sender.PostalAddress == "" {
		t.Errorf("the repo settings should show every rule: %+v", s)
	}
}
