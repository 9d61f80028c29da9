// Package phone finds telephone numbers in folded message text and says
// what kind of line each is.
//
// Lures ask the person to call: "本日中に050-XXXX-XXXXまでご連絡下さい".
// The number is evidence (it identifies the campaign across SMS and e-mail
// and can be reported), it can be checked against an operator's list of
// known fraud numbers, and its kind is a signal in itself: IP phones (050),
// international numbers and personal mobiles are what fraudsters use, not
// utilities or banks. Nothing is ever dialled or looked up.
//
// Find works on text folded by package normalize (ASCII digits, '-' for
// every dash), so full-width and spaced-out numbers are found too. It is
// pure and allocates only for the numbers it returns.
package phone
