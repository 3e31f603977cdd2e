//! A small builder for ONNX graphs: it names values, records nodes in topological order and
//! collects initializers, so that the T5 export reads as the model's equations.
//!
//! Source: the ONNX IR specification (onnx/docs/IR.md) for graph structure, and the operator
//! specification (onnx/docs/Operators.md) at opset [`OPSET`] for every operator used. Values are
//! named `<scope>/<Op>_<n>`, with `n` counting nodes, so names are unique and an ONNX Runtime
//! error names the layer a value belongs to.

use super::proto::{
    AttributeProto, AttributeType, DataType, Dimension, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto,
    TensorProto, TensorShapeProto, TypeProto, TypeProtoTensor, ValueInfoProto,
};

/// The default-domain operator set the exporter writes. Opset 17 keeps `ReduceMean`'s axes an
/// attribute and has every operator used here; ONNX Runtime has supported it since 1.13.
pub const OPSET: i64 = 17;
/// The IR version that goes with opset 17 (onnx/docs/Versioning.md).
pub const IR_VERSION: i64 = 8;

/// One dimension of a graph input or output.
#[derive(Debug, Clone)]
pub enum Dim {
    Fixed(usize),
    Named(&'static str),
}

/// An operator attribute value.
pub enum Attr {
    Int(i64),
    Ints(Vec<i64>),
    Float(f32),
}

/// Collects the nodes, initializers and interface of one graph.
pub struct GraphBuilder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
    scope: String,
    counter: usize,
}

impl Default for GraphBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl GraphBuilder {
    pub fn new() -> Self {
        Self { nodes: Vec::new(), initializers: Vec::new(), inputs: Vec::new(), outputs: Vec::new(), scope: String::new(), counter: 0 }
    }

    /// Sets the prefix of the names of values created from now on, for example `encoder/block.0`.
    pub fn set_scope(&mut self, scope: impl Into<String>) {
        self.scope = scope.into();
    }

    fn fresh(&mut self, op: &str) -> String {
        self.counter += 1;
        if self.scope.is_empty() {
            format!("{op}_{}", self.counter)
        } else {
            format!("{}/{op}_{}", self.scope, self.counter)
        }
    }

    /// Adds a node with one output and returns the output's name.
    pub fn op(&mut self, op_type: &str, inputs: &[&str], attributes: Vec<(&str, Attr)>) -> String {
        let output = self.fresh(op_type);
        self.op_into(op_type, inputs, attributes, &output);
        output
    }

    /// Adds a node whose one output gets the given name (a graph output).
    pub fn op_into(&mut self, op_type: &str, inputs: &[&str], attributes: Vec<(&str, Attr)>, output: &str) {
        let attribute = attributes.into_iter().map(|(name, value)| attribute(name, value)).collect();
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.to_string()],
            name: Some(format!("node:{output}")),
            op_type: Some(op_type.to_string()),
            attribute,
            domain: None,
        });
    }

    /// Adds a float32 initializer under `name` (a checkpoint weight keeps its checkpoint name).
    pub fn initializer_f32(&mut self, name: &str, dims: &[usize], values: &[f32]) -> String {
        let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push_initializer(name.to_string(), DataType::Float, dims, raw);
        name.to_string()
    }

    /// Adds an int64 constant and returns its generated name.
    pub fn const_i64(&mut self, dims: &[usize], values: &[i64]) -> String {
        let name = self.fresh("const_i64");
        let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push_initializer(name.clone(), DataType::Int64, dims, raw);
        name
    }

    /// Adds a scalar (rank 0) int64 constant.
    pub fn scalar_i64(&mut self, value: i64) -> String {
        self.const_i64(&[], &[value])
    }

    /// Adds a scalar (rank 0) float32 constant.
    pub fn scalar_f32(&mut self, value: f32) -> String {
        let name = self.fresh("const_f32");
        self.push_initializer(name.clone(), DataType::Float, &[], value.to_le_bytes().to_vec());
        name
    }

    fn push_initializer(&mut self, name: String, data_type: DataType, dims: &[usize], raw: Vec<u8>) {
        self.initializers.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: Some(data_type as i32),
            name: Some(name),
            raw_data: Some(raw),
            ..Default::default()
        });
    }

    /// Declares a graph input.
    pub fn input(&mut self, name: &str, data_type: DataType, dims: &[Dim]) -> String {
        self.inputs.push(value_info(name, data_type, dims));
        name.to_string()
    }

    /// Declares a graph output, which a node must produce under that name.
    pub fn output(&mut self, name: &str, data_type: DataType, dims: &[Dim]) {
        self.outputs.push(value_info(name, data_type, dims));
    }

    /// Returns the number of nodes added so far.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Wraps the graph in a model with the opset import and producer fields filled in.
    pub fn finish(self, graph_name: &str, metadata: Vec<(String, String)>) -> ModelProto {
        let graph = GraphProto {
            node: self.nodes,
            name: Some(graph_name.to_string()),
            initializer: self.initializers,
            doc_string: None,
            input: self.inputs,
            output: self.outputs,
        };
        ModelProto {
            ir_version: Some(IR_VERSION),
            opset_import: vec![OperatorSetIdProto { domain: Some(String::new()), version: Some(OPSET) }],
            producer_name: Some("superpos".to_string()),
            producer_version: Some(env!("CARGO_PKG_VERSION").to_string()),
            doc_string: None,
            graph: Some(graph),
            metadata_props: metadata.into_iter().map(|(key, value)| StringStringEntryProto { key: Some(key), value: Some(value) }).collect(),
        }
    }
}

fn attribute(name: &str, value: Attr) -> AttributeProto {
    let mut proto = AttributeProto { name: Some(name.to_string()), ..Default::default() };
    match value {
        Attr::Int(i) => {
            proto.r#type = Some(AttributeType::Int as i32);
            proto.i = Some(i);
        }
        Attr::Ints(ints) => {
            proto.r#type = Some(AttributeType::Ints as i32);
            proto.ints = ints;
        }
        Attr::Float(f) => {
            proto.r#type = Some(AttributeType::Float as i32);
            proto.f = Some(f);
        }
    }
    proto
}

fn value_info(name: &str, data_type: DataType, dims: &[Dim]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| match d {
            Dim::Fixed(n) => Dimension { dim_value: Some(*n as i64), dim_param: None },
            Dim::Named(s) => Dimension { dim_value: None, dim_param: Some(s.to_string()) },
        })
        .collect();
    ValueInfoProto {
        name: Some(name.to_string()),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor { elem_type: Some(data_type as i32), shape: Some(TensorShapeProto { dim }) }),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_scoped_and_unique() {
        let mut g = GraphBuilder::new();
        let x = g.input("x", DataType::Float, &[Dim::Named("batch"), Dim::Fixed(4)]);
        g.set_scope("block.0");
        let a = g.op("Relu", &[&x], vec![]);
        let b = g.op("Relu", &[&a], vec![("alpha", Attr::Float(0.5))]);
        assert_eq!(a, "block.0/Relu_1");
        assert_eq!(b, "block.0/Relu_2");
        let model = g.finish("test", vec![]);
        let graph = model.graph.unwrap();
        assert_eq!(graph.node.len(), 2);
        assert_eq!(graph.node[1].input, vec!["block.0/Relu_1".to_string()]);
        assert_eq!(graph.input[0].dims(), vec![None, Some(4)]);
    }
}
