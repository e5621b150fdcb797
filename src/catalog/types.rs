//! Column types: the one set tidegate stores, and the two vendors' names for them.
//!
//! Both Machbase (`short`, `integer`, `long`, `float`, `double`, `varchar(n)`, `datetime`) and
//! Proton (`int32`, `uint8`, `float64`, `string`, `datetime64(3, 'UTC')`, `nullable(T)`) names
//! map onto [`ColumnType`]. A type tidegate does not store is refused with [`TypeError`], never
//! silently mangled.

use std::fmt;

/// Which vendor's statement declared the type: the same word can differ (Machbase `datetime`
/// has nanosecond precision, Proton `datetime` whole seconds; Machbase `float` is 32-bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Machbase,
    Proton,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float32,
    Float64,
    /// `len_max` is enforced on write when set (`varchar(n)`).
    String {
        len_max: Option<u32>,
    },
    Json,
    Binary,
    /// Stored as i64 ns UTC; `precision` is the number of fraction digits printed (0..=9),
    /// `tz` the zone named in the declaration, if any.
    DateTime {
        precision: u8,
        tz: Option<Box<str>>,
    },
    Date,
    Ipv4,
    Ipv6,
    Uuid,
}

/// A type argument inside parentheses: `varchar(40)`, `datetime64(3, 'UTC')`, `nullable(int32)`.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeArg {
    Number(u64),
    Text(String),
    Type(TypeName),
}

/// A type as written: a name and its arguments, not yet resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeName {
    pub name: String,
    pub args: Vec<TypeArg>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeError {
    Unknown(String),
    Unsupported(String),
    BadArguments(String),
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeError::Unknown(name) => write!(f, "unknown column type `{name}`"),
            TypeError::Unsupported(name) => write!(
                f,
                "column type `{name}` is not supported by tidegate; use a scalar type \
                 (bool, integers, floats, string, json, binary, datetime, date, ipv4, ipv6, uuid)"
            ),
            TypeError::BadArguments(name) => write!(f, "bad arguments for column type `{name}`"),
        }
    }
}

/// A resolved declaration: the type and whether NULL is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub ty: ColumnType,
    pub nullable: bool,
}

impl TypeName {
    pub fn resolve(&self, dialect: Dialect) -> Result<Resolved, TypeError> {
        let lower = self.name.to_ascii_lowercase();
        let no_args = |ty: ColumnType| -> Result<Resolved, TypeError> {
            if self.args.is_empty() {
                Ok(Resolved {
                    ty,
                    nullable: false,
                })
            } else {
                Err(TypeError::BadArguments(self.name.clone()))
            }
        };
        match lower.as_str() {
            "nullable" => match self.args.as_slice() {
                [TypeArg::Type(inner)] => {
                    let r = inner.resolve(dialect)?;
                    Ok(Resolved {
                        ty: r.ty,
                        nullable: true,
                    })
                }
                _ => Err(TypeError::BadArguments(self.name.clone())),
            },
            "low_cardinality" => match self.args.as_slice() {
                [TypeArg::Type(inner)] => inner.resolve(dialect),
                _ => Err(TypeError::BadArguments(self.name.clone())),
            },
            "bool" | "boolean" => no_args(ColumnType::Bool),
            "int8" | "tinyint" | "byte" => no_args(ColumnType::Int8),
            "int16" | "smallint" | "short" => no_args(ColumnType::Int16),
            "int32" | "int" | "integer" => no_args(ColumnType::Int32),
            "int64" | "bigint" | "long" => no_args(ColumnType::Int64),
            "uint8" => no_args(ColumnType::UInt8),
            "uint16" | "ushort" => no_args(ColumnType::UInt16),
            "uint32" | "uint" | "uinteger" => no_args(ColumnType::UInt32),
            "uint64" | "ulong" => no_args(ColumnType::UInt64),
            "float32" | "float" | "real" => no_args(ColumnType::Float32),
            "float64" | "double" => no_args(ColumnType::Float64),
            "string" | "text" => no_args(ColumnType::String { len_max: None }),
            "varchar" => match self.args.as_slice() {
                [] => Ok(Resolved {
                    ty: ColumnType::String { len_max: None },
                    nullable: false,
                }),
                [TypeArg::Number(n)] => {
                    let len = u32::try_from(*n)
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| TypeError::BadArguments(self.name.clone()))?;
                    Ok(Resolved {
                        ty: ColumnType::String { len_max: Some(len) },
                        nullable: false,
                    })
                }
                _ => Err(TypeError::BadArguments(self.name.clone())),
            },
            "json" => no_args(ColumnType::Json),
            "binary" | "blob" | "clob" => no_args(ColumnType::Binary),
            "datetime" => match (dialect, self.args.as_slice()) {
                (Dialect::Machbase, []) => no_args(ColumnType::DateTime {
                    precision: 9,
                    tz: None,
                }),
                (Dialect::Proton, []) => no_args(ColumnType::DateTime {
                    precision: 0,
                    tz: None,
                }),
                (_, [TypeArg::Text(tz)]) => Ok(Resolved {
                    ty: ColumnType::DateTime {
                        precision: 0,
                        tz: Some(tz.as_str().into()),
                    },
                    nullable: false,
                }),
                _ => Err(TypeError::BadArguments(self.name.clone())),
            },
            "datetime64" => {
                let (precision, tz) = match self.args.as_slice() {
                    [] => (3, None),
                    [TypeArg::Number(p)] => (*p, None),
                    [TypeArg::Number(p), TypeArg::Text(tz)] => (*p, Some(tz.as_str().into())),
                    _ => return Err(TypeError::BadArguments(self.name.clone())),
                };
                let precision = u8::try_from(precision)
                    .ok()
                    .filter(|&p| p <= 9)
                    .ok_or_else(|| TypeError::BadArguments(self.name.clone()))?;
                Ok(Resolved {
                    ty: ColumnType::DateTime { precision, tz },
                    nullable: false,
                })
            }
            "date" | "date32" => no_args(ColumnType::Date),
            "ipv4" | "inet4" => no_args(ColumnType::Ipv4),
            "ipv6" | "inet6" => no_args(ColumnType::Ipv6),
            "uuid" => no_args(ColumnType::Uuid),
            "array" | "map" | "tuple" | "nested" | "decimal" | "decimal32" | "decimal64"
            | "decimal128" | "decimal256" | "int128" | "int256" | "uint128" | "uint256"
            | "enum" | "enum8" | "enum16" | "fixed_string" | "object" => {
                Err(TypeError::Unsupported(self.name.clone()))
            }
            _ => Err(TypeError::Unknown(self.name.clone())),
        }
    }
}

impl ColumnType {
    /// The name Machbase clients see in `/db/query` JSON `types`.
    pub fn machbase_name(&self) -> &'static str {
        match self {
            ColumnType::Bool => "boolean",
            ColumnType::Int8 => "int8",
            ColumnType::Int16 => "int16",
            ColumnType::Int32 => "int32",
            ColumnType::Int64 => "int64",
            ColumnType::UInt8 => "uint8",
            ColumnType::UInt16 => "uint16",
            ColumnType::UInt32 => "uint32",
            ColumnType::UInt64 => "uint64",
            ColumnType::Float32 => "float",
            ColumnType::Float64 => "double",
            ColumnType::String { .. } => "string",
            ColumnType::Json => "json",
            ColumnType::Binary => "binary",
            ColumnType::DateTime { .. } => "datetime",
            ColumnType::Date => "date",
            ColumnType::Ipv4 => "ipv4",
            ColumnType::Ipv6 => "ipv6",
            ColumnType::Uuid => "uuid",
        }
    }

    /// The canonical Proton name (`DESCRIBE`, JSON `meta`).
    pub fn proton_name(&self) -> String {
        match self {
            ColumnType::Bool => "bool".into(),
            ColumnType::Int8 => "int8".into(),
            ColumnType::Int16 => "int16".into(),
            ColumnType::Int32 => "int32".into(),
            ColumnType::Int64 => "int64".into(),
            ColumnType::UInt8 => "uint8".into(),
            ColumnType::UInt16 => "uint16".into(),
            ColumnType::UInt32 => "uint32".into(),
            ColumnType::UInt64 => "uint64".into(),
            ColumnType::Float32 => "float32".into(),
            ColumnType::Float64 => "float64".into(),
            ColumnType::String { .. } => "string".into(),
            ColumnType::Json => "json".into(),
            ColumnType::Binary => "string".into(),
            ColumnType::DateTime { precision: 0, tz } => match tz {
                None => "datetime".into(),
                Some(tz) => format!("datetime('{tz}')"),
            },
            ColumnType::DateTime { precision, tz } => match tz {
                None => format!("datetime64({precision})"),
                Some(tz) => format!("datetime64({precision}, '{tz}')"),
            },
            ColumnType::Date => "date".into(),
            ColumnType::Ipv4 => "ipv4".into(),
            ColumnType::Ipv6 => "ipv6".into(),
            ColumnType::Uuid => "uuid".into(),
        }
    }

    pub fn is_string(&self) -> bool {
        matches!(self, ColumnType::String { .. })
    }

    pub fn is_time(&self) -> bool {
        matches!(self, ColumnType::DateTime { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, args: Vec<TypeArg>) -> TypeName {
        TypeName {
            name: name.into(),
            args,
        }
    }

    #[test]
    fn vendor_aliases_map_to_one_type() {
        for (name, ty) in [
            ("short", ColumnType::Int16),
            ("INTEGER", ColumnType::Int32),
            ("int", ColumnType::Int32),
            ("long", ColumnType::Int64),
            ("float", ColumnType::Float32),
            ("double", ColumnType::Float64),
            ("uint8", ColumnType::UInt8),
            ("ulong", ColumnType::UInt64),
        ] {
            assert_eq!(t(name, vec![]).resolve(Dialect::Machbase).unwrap().ty, ty);
        }
    }

    #[test]
    fn datetime_precision_depends_on_dialect() {
        let m = t("datetime", vec![]).resolve(Dialect::Machbase).unwrap();
        assert_eq!(m.ty.proton_name(), "datetime64(9)");
        let p = t("datetime", vec![]).resolve(Dialect::Proton).unwrap();
        assert_eq!(p.ty.proton_name(), "datetime");
        let p = t(
            "datetime64",
            vec![TypeArg::Number(3), TypeArg::Text("UTC".into())],
        )
        .resolve(Dialect::Proton)
        .unwrap();
        assert_eq!(p.ty.proton_name(), "datetime64(3, 'UTC')");
    }

    #[test]
    fn nullable_and_refused_types() {
        let r = t("nullable", vec![TypeArg::Type(t("int32", vec![]))])
            .resolve(Dialect::Proton)
            .unwrap();
        assert!(r.nullable);
        assert_eq!(
            t("array", vec![TypeArg::Type(t("int32", vec![]))])
                .resolve(Dialect::Proton)
                .unwrap_err()
                .to_string(),
            "column type `array` is not supported by tidegate; use a scalar type \
             (bool, integers, floats, string, json, binary, datetime, date, ipv4, ipv6, uuid)"
        );
        assert_eq!(
            t("wibble", vec![])
                .resolve(Dialect::Proton)
                .unwrap_err()
                .to_string(),
            "unknown column type `wibble`"
        );
    }
}
