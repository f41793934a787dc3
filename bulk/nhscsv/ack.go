package nhscsv

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// AckHeader is the first line of the BUSACK, NHS England's "Immunisation FHIR API Batch
// Report" (lambdas/ack_backend/src/constants.py): after it, one line per data row of the
// file, in the file's order.
var AckHeader = []string{
	"MESSAGE_HEADER_ID", "HEADER_RESPONSE_CODE", "ISSUE_SEVERITY", "ISSUE_CODE",
	"ISSUE_DETAILS_CODE", "RESPONSE_TYPE", "RESPONSE_CODE", "RESPONSE_DISPLAY",
	"RECEIVED_TIME", "MAILBOX_FROM", "LOCAL_ID", "IMMS_ID", "OPERATION_OUTCOME",
	"MESSAGE_DELIVERY",
}

// The values NHS England's report gives a row that succeeded and one that failed.
const (
	ackCodeOK     = "30001"
	ackCodeFailed = "30002"
)

// ackWriter writes the BUSACK: values separated by '|', unquoted as NHS England writes
// them, except a value holding '|' or '"', which is quoted so that the line still splits
// right.
type ackWriter struct {
	w         *bufio.Writer
	messageID string
	received  string // YYYYMMDDThhmmss00, UTC
	mailbox   string
	vals      []string
	err       error // of the last flush: once set, nothing more can be written
}

func newAckWriter(w io.Writer, messageID, received, mailbox string) *ackWriter {
	return &ackWriter{w: bufio.NewWriter(w), messageID: messageID, received: received, mailbox: mailbox,
		vals: make([]string, len(AckHeader))}
}

func (a *ackWriter) header() { a.write(AckHeader) }

// row writes the line of one data row: immsID is the record's id when it succeeded, err
// why it failed.
func (a *ackWriter) row(r Row, immsID string, err error) {
	v := a.vals
	v[0] = a.messageID + "^" + strconv.Itoa(r.No)
	v[5] = "Business"
	v[8], v[9] = a.received, a.mailbox
	v[10] = r.LocalID()
	if err == nil {
		v[1], v[2], v[3], v[4] = "OK", "Information", "OK", ackCodeOK
		v[6], v[7] = ackCodeOK, "Success"
		v[11], v[12], v[13] = immsID, "", "True"
	} else {
		v[1], v[2], v[3], v[4] = "Fatal Error", "Fatal", "Fatal Error", ackCodeFailed
		v[6], v[7] = ackCodeFailed, "Business Level Response Value - Processing Error"
		v[11], v[12], v[13] = "", outcomeText(err), "False"
	}
	a.write(v)
}

func (a *ackWriter) write(vals []string) {
	for i, s := range vals {
		if i > 0 {
			a.w.WriteByte('|')
		}
		s = breaks.Replace(s)
		if strings.ContainsAny(s, `|"`) {
			s = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		a.w.WriteString(s)
	}
	a.w.WriteByte('\n')
}

// breaks keeps every row on one line whatever the options hold (the outcome is folded
// already).
var breaks = strings.NewReplacer("\r", " ", "\n", " ")

// flush writes what is buffered; the first error of any write is returned.
func (a *ackWriter) flush() error {
	a.err = a.w.Flush()
	return a.err
}
