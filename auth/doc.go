// Package auth decides who a caller is and the most it may do: SMART Backend Services
// (https://hl7.org/fhir/smart-app-launch/backend-services.html) for NIMS.
//
// It holds the registry of client applications (clients.json), the server's signing keys
// (keys/), the token endpoint's checks of a client's signed assertion (private_key_jwt,
// RFC 7523), the roles and the policy each role may be granted, SMART v2 scopes and their
// intersection, and the verification of the access tokens it issues, which yields a
// Principal: the client, its role, ODS codes and granted scopes.
//
// What it does not decide: which records a principal sees. The scopes say which resource
// types and interactions a caller may use, and Scopes.Granular hands the enforcement
// layer (api) the granular restrictions (target-disease for vaccine types); the GP
// practice rule (Principal.ODS), restricted patients (NeedsRestrictedDetails) and the
// audit (Purpose) are applied there, over the store. auth neither logs nor sees patient
// data.
//
// auth imports fhir (errors, vaccine types, ODS codes) and golang-jwt, never api, store,
// gin or cmd: import_test.go enforces it.
package auth
