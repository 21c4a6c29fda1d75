//! The values the gateway's conditions are about, read exactly as a HOPR
//! node reads them: amounts of a currency, on-chain addresses, and the host
//! and port a session listens on.
//!
//! Each parser follows hoprd's own (`hopr-types` `Balance::from_str`,
//! `Address::from_str`, `hopr-utils-session` `build_binding_host`; see the
//! tests for the node's own test vectors), so that what the gateway checks is
//! what the node will act on.

use std::{
    fmt,
    net::{IpAddr, SocketAddr},
    str::FromStr,
};

use serde::{Deserialize, Serialize};

use crate::contract::currency::Currency;

/// An amount of a currency, in its smallest unit (wei). Amounts the node
/// takes go up to 2^256 − 1; those above `u128::MAX` are more than any
/// budget can hold, and are kept as `u128::MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount {
    /// The currency.
    pub currency: Currency,
    /// How many wei.
    pub wei: u128,
}

/// Why an amount could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountError {
    /// Not `<number> <currency>`.
    Format,
    /// Not a currency the node knows.
    Currency,
    /// Not a number the node reads.
    Number,
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountError::Format => write!(
                f,
                "it is not an amount such as \"5 {}\" or \"0.5 {}\"",
                Currency::WxHopr.name(),
                Currency::XDai.name()
            ),
            AmountError::Currency => {
                let names: Vec<&str> = Currency::ALL.iter().map(|currency| currency.name()).collect();
                write!(f, "its currency is not one the node moves ({})", names.join(", "))
            }
            AmountError::Number => f.write_str("its number is not one the node reads"),
        }
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    /// hoprd's grammar: `^([\d\s.]*\d)\s+(wei[_\s]?)?([A-Za-z]+)$`, the
    /// currency in any letter case, the number's ASCII spaces removed and
    /// the rest read as a decimal; without `wei` it is in whole units, and
    /// any fraction of a wei is dropped.
    fn from_str(text: &str) -> Result<Amount, AmountError> {
        let letters = text.len() - text.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len();
        let (before, name) = text.split_at(text.len() - letters);
        if name.is_empty() {
            return Err(AmountError::Format);
        }
        let (before, name, in_wei) = split_wei(before, name);
        let number = before.trim_end_matches(char::is_whitespace);
        if number.len() == before.len() || !number.ends_with(|c: char| c.is_numeric()) {
            return Err(AmountError::Format);
        }
        if !number.chars().all(|c| c.is_numeric() || c.is_whitespace() || c == '.') {
            return Err(AmountError::Format);
        }
        let currency = Currency::named(name).ok_or(AmountError::Currency)?;
        let wei = decimal_to_wei(&number.replace(' ', ""), if in_wei { 0 } else { currency.decimals() })?;
        Ok(Amount { currency, wei })
    }
}

/// Splits off the `wei` marker: `wei_` or `wei` and a whitespace before the
/// currency, or `wei` glued to it (`weiwxHOPR`), as the node's grammar
/// prefers it.
fn split_wei<'a>(before: &'a str, name: &'a str) -> (&'a str, &'a str, bool) {
    let mut marker = before.chars().rev();
    let separated = match marker.next() {
        Some(c) if c == '_' || c.is_whitespace() => before[..before.len() - c.len_utf8()].strip_suffix("wei"),
        _ => None,
    };
    if let Some(rest) = separated {
        return (rest, name, true);
    }
    match name.strip_prefix("wei") {
        Some(currency) if !currency.is_empty() => (before, currency, true),
        _ => (before, name, false),
    }
}

/// `text` (ASCII digits and at most one dot) times 10^`decimals`, any
/// further fraction dropped, saturating at `u128::MAX`.
fn decimal_to_wei(text: &str, decimals: u32) -> Result<u128, AmountError> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if !(whole.bytes().all(|b| b.is_ascii_digit()) && fraction.bytes().all(|b| b.is_ascii_digit())) {
        return Err(AmountError::Number);
    }
    if whole.is_empty() && fraction.is_empty() {
        return Err(AmountError::Number);
    }
    let fraction = &fraction[..fraction.len().min(decimals as usize)];
    let digits = whole
        .bytes()
        .chain(fraction.bytes())
        .chain(std::iter::repeat_n(b'0', decimals as usize - fraction.len()));
    Ok(digits.fold(0u128, |wei, digit| wei.saturating_mul(10).saturating_add(u128::from(digit - b'0'))))
}

impl fmt::Display for Amount {
    /// As the node writes amounts: whole units, trailing zeros dropped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency.units_text(self.wei), self.currency.name())
    }
}

/// An on-chain address as the node reads it (40 hex digits, `0x` or `0X`
/// optional, any letter case, no checksum), written in lower case with
/// `0x`, so that two spellings of one address compare equal.
pub fn address(text: &str) -> Option<String> {
    let hex = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    (hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("0x{}", hex.to_ascii_lowercase()))
}

/// Where a session will listen: what the node makes of `requested` given
/// its default listen host (hoprd's `build_binding_host`): a full socket
/// address as it is, an address alone with the default port, `:port` with
/// the default address, anything else the default.
pub fn listen_host(requested: Option<&str>, default: SocketAddr) -> SocketAddr {
    let Some(requested) = requested else { return default };
    if let Ok(address) = SocketAddr::from_str(requested) {
        return address;
    }
    let ip = requested.parse::<IpAddr>().unwrap_or(default.ip());
    let port =
        requested.strip_prefix(':').and_then(|port| port.parse::<u16>().ok()).unwrap_or(default.port());
    SocketAddr::new(ip, port)
}

/// True for a loopback address, also written as an IPv4-mapped IPv6 one.
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// Addresses and ports a session may listen on: `127.0.0.1:10000-10100`,
/// `127.0.0.1:8080`, `[::1]:10000-10100`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ListenRange {
    ip: IpAddr,
    ports: (u16, u16),
}

impl ListenRange {
    /// True when `address` is in the range. Port 0 (any port the system
    /// picks) is in it only when the range says 0.
    pub fn contains(&self, address: SocketAddr) -> bool {
        self.ip.to_canonical() == address.ip().to_canonical()
            && (self.ports.0..=self.ports.1).contains(&address.port())
    }

    /// True when every address of `self` is in `other`.
    pub fn within(&self, other: &ListenRange) -> bool {
        self.ip.to_canonical() == other.ip.to_canonical()
            && other.ports.0 <= self.ports.0
            && self.ports.1 <= other.ports.1
    }

    /// True when the address is a loopback one.
    pub fn is_loopback(&self) -> bool {
        is_loopback(self.ip)
    }
}

impl FromStr for ListenRange {
    type Err = String;

    fn from_str(text: &str) -> Result<ListenRange, String> {
        let invalid = || {
            format!("'{text}' is not an address with a port or a port range, such as 127.0.0.1:10000-10100")
        };
        let (host, ports) = text.rsplit_once(':').ok_or_else(invalid)?;
        let ip: IpAddr = match host.strip_prefix('[').and_then(|host| host.strip_suffix(']')) {
            Some(v6) => v6.parse::<std::net::Ipv6Addr>().map(IpAddr::V6),
            None => host.parse::<std::net::Ipv4Addr>().map(IpAddr::V4),
        }
        .map_err(|_| invalid())?;
        let (low, high) = ports.split_once('-').unwrap_or((ports, ports));
        let (low, high): (u16, u16) =
            (low.parse().map_err(|_| invalid())?, high.parse().map_err(|_| invalid())?);
        Ok(ListenRange { ip, ports: (low.min(high), low.max(high)) })
    }
}

impl TryFrom<String> for ListenRange {
    type Error = String;

    fn try_from(text: String) -> Result<ListenRange, String> {
        text.parse()
    }
}

impl From<ListenRange> for String {
    fn from(range: ListenRange) -> String {
        range.to_string()
    }
}

impl fmt::Display for ListenRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{ip}:")?,
            IpAddr::V6(ip) => write!(f, "[{ip}]:")?,
        }
        match self.ports {
            (low, high) if low == high => write!(f, "{low}"),
            (low, high) => write!(f, "{low}-{high}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wei(text: &str) -> Result<(Currency, u128), AmountError> {
        text.parse::<Amount>().map(|amount| (amount.currency, amount.wei))
    }

    const UNIT: u128 = 1_000_000_000_000_000_000;
    const H: Currency = Currency::WxHopr;

    #[test]
    fn the_nodes_own_amount_vectors_parse_alike() {
        // hopr-types balance.rs: balance_should_parse_from_non_wei_string
        for text in ["5 wxHOPR", "5 wxhopr"] {
            assert_eq!(wei(text), Ok((H, 5 * UNIT)), "{text}");
        }
        for text in [".5 wxHOPR", " .5 wxHOPR", "0.5 wxHOPR", "0. 5 wxHOPR", "0. 50 wxHOPR", "0. 5 0 wxHOPR"]
        {
            assert_eq!(wei(text), Ok((H, UNIT / 2)), "{text}");
        }
        // balance_should_parse_from_wei_string
        for (text, expected) in [
            ("5 weiwxHOPR", 5),
            (" 5 weiwxHOPR", 5),
            ("5 000 weiwxHOPR", 5000),
            ("5 0 0 0 weiwxHOPR", 5000),
            ("5 wei_wxHOPR", 5),
            ("5 wei wxHOPR", 5),
            ("5 wei wxhopr", 5),
        ] {
            assert_eq!(wei(text), Ok((H, expected)), "{text}");
        }
        // balance_should_parse_from_formatted_string
        assert_eq!(wei("5.0123 wxHOPR"), Ok((H, 50123 * 10u128.pow(14))));
        for text in ["5.001 weiwxHOPR", "5.00 weiwxHOPR", "5.00 wei_wxHOPR"] {
            assert_eq!(wei(text), Ok((H, 5)), "{text}");
        }
        // balance_should_discard_excess_fractional_digits
        assert_eq!(wei("1.12345678901234567891 wxHOPR"), Ok((H, 1_123_456_789_012_345_678)));
        assert_eq!(wei("1.12345678901234567891 wei wxHOPR"), Ok((H, 1)));
        // balance_parsing_should_fail_with_invalid_units
        for text in ["10", "10 wei", "10 wai wxHOPR", "10 wxxHOPR"] {
            assert!(wei(text).is_err(), "{text}");
        }
        // the node's examples
        assert_eq!(wei("20000 wxHOPR"), Ok((H, 20_000 * UNIT)));
        assert_eq!(wei("0.5 xDai"), Ok((Currency::XDai, UNIT / 2)));
        assert_eq!(wei("0.1 xDai"), Ok((Currency::XDai, UNIT / 10)));
    }

    #[test]
    fn an_unknown_currency_is_named_with_those_the_node_moves() {
        assert_eq!(wei("5 HOPR"), Err(AmountError::Currency));
        assert_eq!(
            AmountError::Currency.to_string(),
            "its currency is not one the node moves (xDai, wxHOPR)"
        );
        assert_eq!(
            AmountError::Format.to_string(),
            "it is not an amount such as \"5 wxHOPR\" or \"0.5 xDai\""
        );
    }

    #[test]
    fn what_the_node_refuses_is_refused() {
        for text in [
            "5wxHOPR",
            "5 wxHOPR ",
            "5 wxHOPR\n",
            "5. wxHOPR",
            "5.5.5 wxHOPR",
            "..5 wxHOPR",
            "1e3 wxHOPR",
            "-1 wxHOPR",
            "+1 wxHOPR",
            "0x10 wxHOPR",
            "1_000 wxHOPR",
            "1,5 wxHOPR",
            "５ wxHOPR",
            "\t5 wxHOPR",
            "5\t000 wxHOPR",
            "5 WEI wxHOPR",
            "5 wei  wxHOPR",
            "5 wei__wxHOPR",
            "5 wei-wxHOPR",
            "5 wxHOPR wxHOPR",
            "5 wxHOPR2",
            "",
            "5 HOPR",
            "5 xHOPR",
        ] {
            assert!(wei(text).is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn whitespace_before_the_currency_may_be_any_unicode_whitespace() {
        for text in ["5\twxHOPR", "5\nwxHOPR", "5\u{a0}wxHOPR", "5\u{3000}wxHOPR", "5  wxHOPR"] {
            assert_eq!(wei(text), Ok((H, 5 * UNIT)), "{text:?}");
        }
    }

    #[test]
    fn below_a_wei_is_nothing_and_above_a_budget_saturates() {
        assert_eq!(wei("0.0000000000000000001 wxHOPR"), Ok((H, 0)));
        assert_eq!(wei("0.000000000000000001 wxHOPR"), Ok((H, 1)));
        assert_eq!(wei("000 wxHOPR"), Ok((H, 0)));
        let huge =
            "115792089237316195423570985008687907853269984665640564039457584007913129639935 wei wxHOPR";
        assert_eq!(wei(huge), Ok((H, u128::MAX)));
    }

    #[test]
    fn amounts_are_written_as_the_node_writes_them() {
        let amount = |wei| Amount { currency: H, wei }.to_string();
        assert_eq!(amount(123 * 10u128.pow(16)), "1.23 wxHOPR");
        assert_eq!(amount(123 * UNIT), "123 wxHOPR");
        assert_eq!(amount(123 * 10u128.pow(13)), "0.00123 wxHOPR");
        assert_eq!(amount(0), "0 wxHOPR");
    }

    #[test]
    fn addresses_read_as_the_node_reads_them() {
        let lower = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";
        for text in [
            lower,
            &lower[2..],
            "0XB4CE7E6E36AC8B01A974725D5BA730AF2B156FBE",
            "0xB4ce7e6e36ac8b01a974725d5ba730af2b156fbe",
        ] {
            assert_eq!(address(text).as_deref(), Some(lower), "{text}");
        }
        for text in [
            &lower[..41],
            "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe00",
            "0x0xb4ce7e6e36ac8b01a974725d5ba730af2b156f",
            " 0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe",
            "12D3KooWJ",
            "",
            "0x",
        ] {
            assert_eq!(address(text), None, "{text}");
        }
    }

    #[test]
    fn the_listen_host_resolves_as_the_node_resolves_it() {
        // hopr-utils-session build_binding_address, default 10.0.0.1:10000
        let default: SocketAddr = "10.0.0.1:10000".parse().unwrap();
        let resolved = |requested| listen_host(requested, default).to_string();
        assert_eq!(resolved(Some("127.0.0.1:10000")), "127.0.0.1:10000");
        assert_eq!(resolved(None), "10.0.0.1:10000");
        assert_eq!(resolved(Some("127.0.0.1")), "127.0.0.1:10000");
        assert_eq!(resolved(Some(":1234")), "10.0.0.1:1234");
        assert_eq!(resolved(Some(":")), "10.0.0.1:10000");
        assert_eq!(resolved(Some("")), "10.0.0.1:10000");
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        for (requested, expected) in [
            ("0.0.0.0:10000", "0.0.0.0:10000"),
            ("localhost:8080", "127.0.0.1:0"),
            ("[::1]:8080", "[::1]:8080"),
            ("::", "[::]:0"),
            (":+80", "127.0.0.1:80"),
            (":65536", "127.0.0.1:0"),
        ] {
            assert_eq!(listen_host(Some(requested), loopback).to_string(), expected, "{requested}");
        }
    }

    #[test]
    fn loopback_includes_mapped_addresses_and_excludes_every_interface() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["0.0.0.0", "::", "10.0.0.1", "::ffff:0.0.0.0"] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn listen_ranges_hold_what_they_name() {
        let range: ListenRange = "127.0.0.1:10000-10100".parse().unwrap();
        assert!(range.contains("127.0.0.1:10050".parse().unwrap()));
        assert!(!range.contains("127.0.0.1:0".parse().unwrap()), "port 0 is any port");
        assert!(!range.contains("0.0.0.0:10050".parse().unwrap()));
        let narrower: ListenRange = "127.0.0.1:10010-10020".parse().unwrap();
        assert!(narrower.within(&range) && !range.within(&narrower));
        assert_eq!("[::1]:8080".parse::<ListenRange>().unwrap().to_string(), "[::1]:8080");
        assert_eq!("127.0.0.1:200-100".parse::<ListenRange>().unwrap().to_string(), "127.0.0.1:100-200");
        for text in ["127.0.0.1", "localhost:80", "127.0.0.1:70000", "::1:80", "127.0.0.1:a-b"] {
            assert!(text.parse::<ListenRange>().is_err(), "{text}");
        }
    }
}
