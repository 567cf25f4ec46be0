public enum TURNPlaceholder {}
