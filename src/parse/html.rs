//! The archived-HTML parser (being written).

use super::{Context, ParseError};
use crate::model::Article;

pub fn parse(_input: &[u8], _ctx: &Context<'_>) -> Result<Article, ParseError> {
    Err(ParseError::new("the html parser is not written yet"))
}
