import STUN

/// An address from text the test wrote itself.
func ip(_ text: String) -> IPAddress {
    guard let address = IPAddress(text) else { preconditionFailure("bad test address \(text)") }
    return address
}

func net(_ text: String) -> IPNetwork {
    guard let network = IPNetwork(text) else { preconditionFailure("bad test network \(text)") }
    return network
}
