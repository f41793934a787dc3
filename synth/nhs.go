package synth

import "fmt"

// NHS numbers come from ranges never issued to real people. Person n gets the n-th
// number of an enumeration that starts in the 999 test range: each 999 + five digits
// prefix yields nine numbers (the last digit before the check digit takes the values
// whose Modulus 11 check digit exists; one of ten never does, and one more is skipped so
// every prefix gives exactly nine). The 100,000 prefixes of a range are visited in an
// order scrambled by the seed, so neighbours do not have neighbouring numbers.
//
// 999 holds 900,000 people; a larger population continues in 998, 997, … 900 (the whole
// 9 range is kept for test and training data: the NHS's own integration test patients
// are in it), 90 million in all.

const (
	perPrefix = 9
	perRange  = 100000 * perPrefix
	maxRanges = 100 // 999 down to 900
	// MaxPatients is the largest population whose NHS numbers synth can make.
	MaxPatients = perRange * maxRanges
	// scramble is odd and not a multiple of 5, so p -> p*scramble mod 10^5 is a bijection.
	scramble = 38257
)

// nhsNumber writes the NHS number of person n (0 <= n < MaxPatients) into dst.
func nhsNumber(dst *[10]byte, n int, seed int64) {
	rangeNo, j := n/perRange, n%perRange
	prefix := 999 - rangeNo
	offset := int(mix64(uint64(seed)^0x4E4853) % 100000)
	p := (j/perPrefix*scramble + offset) % 100000
	body := prefix*100000 + p // eight digits
	for i := 7; i >= 0; i-- {
		dst[i] = byte('0' + body%10)
		body /= 10
	}
	sum := 0
	for i := range 8 {
		sum += int(dst[i]-'0') * (10 - i)
	}
	want := j % perPrefix
	for d := range 10 {
		check := 11 - (sum+d*2)%11
		if check == 10 {
			continue
		}
		if want == 0 {
			if check == 11 {
				check = 0
			}
			dst[8], dst[9] = byte('0'+d), byte('0'+check)
			return
		}
		want--
	}
	panic(fmt.Sprintf("synth: no NHS number for person %d", n)) // unreachable: ≥ 9 digits always work
}
