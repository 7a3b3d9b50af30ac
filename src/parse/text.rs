//! The text parser (being written).

use super::{Context, ParseError};
use crate::model::Article;

pub fn parse(_input: &str, _ctx: &Context<'_>) -> Result<Article, ParseError> {
    Err(ParseError::new("the text parser is not written yet"))
}
