//! The currencies a HOPR node moves: their names as the node writes them and
//! their decimals. The gateway's amount parser, its route table, the
//! capability catalogue and the console (through `GET /api/v3/gateway`)
//! all read them from here.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A currency a node moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Currency {
    /// The native token, `xDai`.
    #[serde(rename = "xDai")]
    XDai,
    /// The HOPR token, `wxHOPR`.
    #[serde(rename = "wxHOPR")]
    WxHopr,
}

impl Currency {
    /// Every currency, xDai first.
    pub const ALL: [Currency; 2] = [Currency::XDai, Currency::WxHopr];

    /// The name as the node writes it.
    pub fn name(self) -> &'static str {
        match self {
            Currency::XDai => "xDai",
            Currency::WxHopr => "wxHOPR",
        }
    }

    /// The currency called `name`, in any letter case, as the node reads it.
    pub fn named(name: &str) -> Option<Currency> {
        Currency::ALL.into_iter().find(|currency| currency.name().eq_ignore_ascii_case(name))
    }

    /// How many decimal places a whole unit has: an amount's number times
    /// 10^decimals is its count of wei. Both are ERC-20-style tokens of 18
    /// (hoprd's `XDai` and `WxHOPR` balance types).
    pub fn decimals(self) -> u32 {
        18
    }

    /// `wei` in whole units, as the node writes the number of an amount:
    /// trailing zeros of the fraction dropped, no dot for a whole number.
    pub fn units_text(self, wei: u128) -> String {
        let decimals = self.decimals();
        let unit = 10u128.pow(decimals);
        let (whole, fraction) = (wei / unit, wei % unit);
        if fraction == 0 {
            return whole.to_string();
        }
        let fraction = format!("{fraction:0width$}", width = decimals as usize);
        format!("{whole}.{}", fraction.trim_end_matches('0'))
    }
}

/// One currency as `GET /api/v3/gateway` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct CurrencyInfo {
    /// Its name as the node writes it (and reads it, in any letter case).
    pub name: String,
    /// How many decimal places a whole unit has: `"0.5 xDai"` is
    /// 0.5 × 10^decimals wei.
    pub decimals: u32,
}

impl From<Currency> for CurrencyInfo {
    fn from(currency: Currency) -> CurrencyInfo {
        CurrencyInfo { name: currency.name().to_string(), decimals: currency.decimals() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_in_any_case() {
        assert_eq!(Currency::named("XDAI"), Some(Currency::XDai));
        assert_eq!(Currency::named("wxhopr"), Some(Currency::WxHopr));
        assert_eq!(Currency::named("HOPR"), None);
        assert_eq!(Currency::named("wei"), None);
    }

    #[test]
    fn units_text_writes_the_number_as_the_node_does() {
        let unit = 10u128.pow(18);
        assert_eq!(Currency::XDai.units_text(0), "0");
        assert_eq!(Currency::XDai.units_text(unit), "1");
        assert_eq!(Currency::WxHopr.units_text(9 * unit / 10), "0.9");
        assert_eq!(Currency::WxHopr.units_text(1), "0.000000000000000001");
        assert_eq!(Currency::XDai.units_text(123 * unit + 4500), "123.0000000000000045");
    }

    #[test]
    fn the_wire_names_are_the_node_names() {
        for currency in Currency::ALL {
            assert_eq!(serde_json::to_string(&currency).unwrap(), format!("\"{}\"", currency.name()));
            assert_eq!(CurrencyInfo::from(currency).decimals, 18);
        }
    }
}
