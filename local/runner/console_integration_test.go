package runner_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/localaws"
)

var userSeq atomic.Int64

// consoleUser makes a user of the role on the shared pool and signs them in,
// returning their ID and access tokens.
func consoleUser(t *testing.T, role catalog.Role) (email, idToken, accessToken string) {
	t.Helper()
	email = fmt.Sprintf("%s-%d-%d@example.test", role, time.Now().UnixNano()%1e9, userSeq.Add(1))
	if role == catalog.RoleNone {
		email = "norole" + email
	}
	const password = "Test-Passw0rd!"
	ctx := context.Background()
	if role == catalog.RoleNone {
		c := cognito(t)
		if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &userPool.ID, Username: &email, MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &userPool.ID, Username: &email, Password: aws.String(password), Permanent: true}); err != nil {
			t.Fatal(err)
		}
	} else if err := runner.EnsureUser(ctx, userPool, email, password, role); err != nil {
		t.Fatal(err)
	}
	out := signIn(t, email, password)
	if out.AuthenticationResult == nil {
		t.Fatalf("sign-in of %s: challenge %s", email, out.ChallengeName)
	}
	return email, aws.ToString(out.AuthenticationResult.IdToken), aws.ToString(out.AuthenticationResult.AccessToken)
}

func cognito(t *testing.T) *cip.Client {
	cfg, err := localaws.AWSConfig(context.Background(), userPool.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return cip.NewFromConfig(cfg)
}

func signIn(t *testing.T, email, password string) *cip.InitiateAuthOutput {
	t.Helper()
	out, err := cognito(t).InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &userPool.ClientID,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
	return out
}

func (e *env) as(token, method, path, body string) (int, map[string]any) {
	e.t.Helper()
	code, resp, _ := e.do(method, path, body, map[string]string{"Authorization": "Bearer " + token})
	return code, resp
}

func errorCode(body map[string]any) string {
	m, _ := body["error"].(map[string]any)
	s, _ := m["code"].(string)
	return s
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestEveryAdminRouteEnforcesItsRole walks the catalog's admin routes, so a
// route added there is checked here without anyone writing a test for it:
// each role is refused (403, error shape) exactly the routes its table
// entry forbids, and reaches the handler on the others.
func TestEveryAdminRouteEnforcesItsRole(t *testing.T) {
	e := newEnv(t)
	tokens := map[catalog.Role]string{}
	for _, r := range append([]catalog.Role{catalog.RoleNone}, catalog.Roles()...) {
		_, id, _ := consoleUser(t, r)
		tokens[r] = id
	}
	f, _ := catalog.Load().Function("admin")
	checked := 0
	for _, r := range catalog.Load().Functions {
		for _, route := range r.Routes {
			if route.Auth != catalog.Admin {
				continue
			}
			path := pathParam.ReplaceAllString(route.Path, "role-check-missing")
			for role, tok := range tokens {
				code, body := e.as(tok, route.Method, path, "")
				if role.Can(route.Action) {
					if code == 401 || code == 403 {
						t.Errorf("%s as %q (%s): %d %v, want it to reach the handler", route.Key(), role, route.Action, code, body)
					}
				} else if code != 403 || errorCode(body) != "forbidden" {
					t.Errorf("%s as %q (%s): %d %v, want 403 forbidden", route.Key(), role, route.Action, code, body)
				}
				checked++
			}
		}
	}
	if want := 4 * len(f.Routes); checked < want {
		t.Errorf("checked %d calls, want at least %d", checked, want)
	}
}

func TestConsoleTokensAtTheAdminAPI(t *testing.T) {
	e := newEnv(t)
	_, viewerID, viewerAccess := consoleUser(t, catalog.RoleViewer)
	_, marketerID, _ := consoleUser(t, catalog.RoleMarketer)
	e.track(`{"batch":[{"type":"identify","messageId":"ct1","anonymousId":"console-1","traits":{"email":"lead@acme.test"}}]}`)
	c := e.waitContact("console-1", 1)
	id := c["id"].(string)

	for name, tok := range map[string]string{"id token": viewerID, "access token": viewerAccess} {
		if code, body := e.as(tok, "GET", "/v1/contacts/"+id, ""); code != 200 || body["id"] != id {
			t.Errorf("viewer %s reads a contact: %d %v", name, code, body)
		}
	}
	code, body := e.as(viewerID, "PUT", "/v1/contacts/"+id+"/stage", `{"stage":"mql","reason":"call"}`)
	if code != 403 || errorCode(body) != "forbidden" || !strings.Contains(body["error"].(map[string]any)["message"].(string), "viewer") {
		t.Errorf("viewer stage change: %d %v, want 403 naming the role", code, body)
	}
	if code, body := e.as(viewerID, "GET", "/v1/contacts/"+id+"/export", ""); code != 403 {
		t.Errorf("viewer export: %d %v, want 403", code, body)
	}
	if code, body := e.as(marketerID, "PUT", "/v1/contacts/"+id+"/stage", `{"stage":"mql","reason":"asked for a demo"}`); code != 200 {
		t.Errorf("marketer stage change: %d %v", code, body)
	}
	// A token for another client, a tampered one and garbage are refused.
	parts := strings.Split(viewerID, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]
	for name, tok := range map[string]string{"tampered": tampered, "garbage": "a.b.c", "not the admin token": "nope"} {
		if code, body := e.as(tok, "GET", "/v1/contacts", ""); code != 401 {
			t.Errorf("%s: %d %v, want 401", name, code, body)
		}
	}
	// The machine token still counts as admin.
	if code, body := e.adminDo("GET", "/v1/users", ""); code != 200 {
		t.Errorf("admin token lists users: %d %v", code, body)
	}
}

func TestUsersAPIAndAuditLog(t *testing.T) {
	e := newEnv(t)
	adminEmail, adminTok, _ := consoleUser(t, catalog.RoleAdmin)
	invitee := fmt.Sprintf("new-%d@example.test", time.Now().UnixNano())

	code, inv := e.as(adminTok, "POST", "/v1/users", `{"email":"`+invitee+`","role":"viewer"}`)
	if code != 201 || inv["role"] != "viewer" || inv["email"] != invitee || inv["temporary_password"] == "" || inv["status"] != "FORCE_CHANGE_PASSWORD" {
		t.Fatalf("invite: %d %v", code, inv)
	}
	newID := inv["id"].(string)
	if code, body := e.as(adminTok, "POST", "/v1/users", `{"email":"`+invitee+`","role":"viewer"}`); code != 409 {
		t.Errorf("second invite: %d %v, want 409", code, body)
	}
	if code, body := e.as(adminTok, "POST", "/v1/users", `{"email":"x@example.test","role":"owner"}`); code != 400 || errorCode(body) != "invalid_role" {
		t.Errorf("unknown role: %d %v", code, body)
	}
	// First sign-in asks for a new password, as the console shows.
	first := signIn(t, invitee, inv["temporary_password"].(string))
	if first.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
		t.Fatalf("first sign-in: challenge %q, want NEW_PASSWORD_REQUIRED", first.ChallengeName)
	}
	done, err := cognito(t).RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
		ClientId: &userPool.ClientID, ChallengeName: first.ChallengeName, Session: first.Session,
		ChallengeResponses: map[string]string{"USERNAME": invitee, "NEW_PASSWORD": "Chosen-Passw0rd!"},
	})
	if err != nil || done.AuthenticationResult == nil {
		t.Fatalf("set new password: %v", err)
	}
	inviteeTok := aws.ToString(done.AuthenticationResult.IdToken)
	if code, _ := e.as(inviteeTok, "GET", "/v1/users", ""); code != 403 {
		t.Errorf("a viewer lists users: %d, want 403", code)
	}

	if code, u := e.as(adminTok, "PATCH", "/v1/users/"+newID, `{"role":"marketer"}`); code != 200 || u["role"] != "marketer" {
		t.Errorf("change role: %d %v", code, u)
	}
	if code, u := e.as(adminTok, "DELETE", "/v1/users/"+newID, ""); code != 200 || u["enabled"] != false {
		t.Errorf("disable: %d %v", code, u)
	}
	if code, body := e.as(adminTok, "DELETE", "/v1/users/no-such-user", ""); code != 404 {
		t.Errorf("disable unknown: %d %v", code, body)
	}
	code, list := e.as(adminTok, "GET", "/v1/users", "")
	found := false
	for _, u := range list["users"].([]any) {
		if m := u.(map[string]any); m["id"] == newID {
			found = m["role"] == "marketer" && m["enabled"] == false
		}
	}
	if code != 200 || !found {
		t.Errorf("list after changes: %d, invitee as marketer and disabled: %v", code, found)
	}

	// Every change above is in the audit log, newest first; reads and
	// refused calls are not.
	code, page := e.as(adminTok, "GET", "/v1/audit?kind=users&limit=2", "")
	entries, _ := page["entries"].([]any)
	if code != 200 || len(entries) != 2 || page["next"] == nil {
		t.Fatalf("audit page 1: %d %v", code, page)
	}
	first0 := entries[0].(map[string]any)
	if first0["action"] != "DELETE /v1/users/{id}" || first0["target"] != newID || first0["actor"] != adminEmail || first0["role"] != "admin" {
		t.Errorf("newest entry: %v", first0)
	}
	code, page2 := e.as(adminTok, "GET", "/v1/audit?kind=users&limit=2&before="+page["next"].(string), "")
	entries2, _ := page2["entries"].([]any)
	if code != 200 || len(entries2) != 1 || entries2[0].(map[string]any)["action"] != "POST /v1/users" {
		t.Errorf("audit page 2: %d %v", code, page2)
	}
	actorID := first0["actor_id"].(string)
	if code, byActor := e.as(adminTok, "GET", "/v1/audit?actor_id="+actorID+"&kind=users", ""); code != 200 || len(byActor["entries"].([]any)) != 3 {
		t.Errorf("audit by actor and kind: %d %v", code, byActor)
	}
	if code, body := e.as(adminTok, "GET", "/v1/audit?before=!!!", ""); code != 400 {
		t.Errorf("bad cursor: %d %v", code, body)
	}
}
