//! OpenAPI schemas of the domain types, so that the API document says what each one accepts.

/// Implements `utoipa::ToSchema` for a domain type whose JSON form is a string: a description
/// and optional `pattern`, `min_length`, `max_length`, `format` and `example`.
#[macro_export]
macro_rules! string_schema {
    ($ty:ty, $description:expr $(, $key:ident = $value:expr)* $(,)?) => {
        impl ::utoipa::PartialSchema for $ty {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                let builder = ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .description(Some($description));
                $( let builder = $crate::string_schema!(@set builder, $key, $value); )*
                builder.into()
            }
        }
        impl ::utoipa::ToSchema for $ty {}
    };
    (@set $b:ident, pattern, $v:expr) => { $b.pattern(Some($v)) };
    (@set $b:ident, min_length, $v:expr) => { $b.min_length(Some($v)) };
    (@set $b:ident, max_length, $v:expr) => { $b.max_length(Some($v)) };
    (@set $b:ident, format, $v:expr) => {
        $b.format(Some(::utoipa::openapi::schema::SchemaFormat::Custom($v.to_owned())))
    };
    (@set $b:ident, example, $v:expr) => { $b.examples([$v]) };
}

/// Implements `utoipa::ToSchema` for a domain type whose JSON form is an integer within
/// `minimum..=maximum`, with an optional `default`.
#[macro_export]
macro_rules! integer_schema {
    ($ty:ty, $description:expr, $minimum:expr, $maximum:expr $(, default = $default:expr)?) => {
        impl ::utoipa::PartialSchema for $ty {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                let builder = ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::Integer)
                    .format(Some(::utoipa::openapi::schema::SchemaFormat::KnownFormat(
                        ::utoipa::openapi::schema::KnownFormat::Int64,
                    )))
                    .description(Some($description))
                    .minimum(Some($minimum))
                    .maximum($maximum);
                $( let builder = builder.default(Some($default.into())); )?
                builder.into()
            }
        }
        impl ::utoipa::ToSchema for $ty {}
    };
}
