//! The real T5 tokenizer (32,100 SentencePiece tokens) against the ids transformers produced.

use superpos_models::tokenizer::{encode_ids, load_tokenizer};

use super::fixture;

#[test]
fn t5_tokenizer_reproduces_reference_ids() {
    let dir = fixture("t5-tokenizer");
    let tokenizer = load_tokenizer(&dir).unwrap();
    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap()).unwrap();
    let cases = reference.as_array().unwrap();
    assert!(cases.len() >= 10, "reference has {} cases", cases.len());
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let expected: Vec<u32> = case["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
        assert_eq!(encode_ids(&tokenizer, text).unwrap(), expected, "ids of {text:?}");
    }
}

#[test]
fn t5_tokenizer_vocab_size() {
    let tokenizer = load_tokenizer(&fixture("t5-tokenizer")).unwrap();
    assert_eq!(tokenizer.get_vocab_size(true), 32_100);
}

#[test]
fn missing_tokenizer_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_tokenizer(dir.path()).unwrap_err().to_string();
    assert!(err.contains("tokenizer.json"), "{err}");
}
